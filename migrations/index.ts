import { CreateRunsSchema1763700000000 } from './1763700000000-createRunsSchema';
import { CreateGatesSchema1763700000100 } from './1763700000100-createGatesSchema';
import { CreateEscalationSchema1763700000200 } from './1763700000200-createEscalationSchema';
import { CreateMessagingTables1763700000300 } from './1763700000300-createMessagingTables';
import { OutboxQueueIndexAndAutovacuum1763700000400 } from './1763700000400-outboxQueueIndexAndAutovacuum';
import { CreateSeedCompatibilityViews1763700001300 } from './1763700001300-createSeedCompatibilityViews';
import { IdentityKeysAndActors1763700001800 } from './1763700001800-identityKeysAndActors';
import { GateRiskAndApprovals1763700002000 } from './1763700002000-gateRiskAndApprovals';
import { CreateRunsWorkQueue1763700002100 } from './1763700002100-createRunsWorkQueue';
import { InboxAndRunControl1763700004000 } from './1763700004000-inboxAndRunControl';
import { CreateWebhookTables1763700005000 } from './1763700005000-createWebhookTables';
import { GateVotesAndPolicyFacts1763700006000 } from './1763700006000-gateVotesAndPolicyFacts';

/** The one ordered sequence of migrations for every schema. Append new ones at the end. */
export const MIGRATIONS = [
  CreateRunsSchema1763700000000,
  CreateGatesSchema1763700000100,
  CreateEscalationSchema1763700000200,
  CreateMessagingTables1763700000300,
  OutboxQueueIndexAndAutovacuum1763700000400,
  CreateSeedCompatibilityViews1763700001300,
  IdentityKeysAndActors1763700001800,
  GateRiskAndApprovals1763700002000,
  CreateRunsWorkQueue1763700002100,
  InboxAndRunControl1763700004000,
  CreateWebhookTables1763700005000,
  GateVotesAndPolicyFacts1763700006000,
];
