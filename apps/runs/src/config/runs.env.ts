import { IsBoolean, IsIn, IsInt, IsUrl, Max, Min, ValidateIf } from 'class-validator';
import { BoolFromEnv, PolicyEnv } from '@gatehouse/contracts';
import { IsPartitionLimits, MAX_PARTITION_LIMIT } from './partition-limits';

const HTTP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** Settings of the runs service: the executor adapters, the partition law, and (PolicyEnv) the declared recipes. */
export class RunsEnv extends PolicyEnv {
  /** Compiler adapter: `replay` builds a deterministic plan offline, `live` calls OC_URL. */
  @IsIn(['replay', 'live'])
  OC_MODE: 'replay' | 'live' = 'replay';

  @ValidateIf((env: RunsEnv) => env.OC_MODE === 'live')
  @IsUrl(HTTP_URL, { message: 'OC_URL must be an http(s) URL; it is required when OC_MODE=live' })
  OC_URL = '';

  /** Sandbox adapter: `mock` returns a deterministic result after SBX_MOCK_DELAY_MS, `live` calls SBX_URL. */
  @IsIn(['mock', 'live'])
  SBX_MODE: 'mock' | 'live' = 'mock';

  @ValidateIf((env: RunsEnv) => env.SBX_MODE === 'live')
  @IsUrl(HTTP_URL, { message: 'SBX_URL must be an http(s) URL; it is required when SBX_MODE=live' })
  SBX_URL = '';

  @IsInt()
  @Min(0)
  @Max(60_000)
  SBX_MOCK_DELAY_MS = 50;

  /** Partition law: POST /api/runs needs a non-blank queuePartitionKey. */
  @BoolFromEnv()
  @IsBoolean()
  SBX_QUEUE_PARTITION = true;

  /** Timeout of one call to a live compiler or sandbox. */
  @IsInt()
  @Min(100)
  @Max(600_000)
  LIVE_TIMEOUT_MS = 30_000;

  /**
   * The runs processes' nice value (0-19). Where every service shares one host's CPUs, a value
   * above 0 lets the gateway and gates answer a reply before the runs service resumes the runs
   * that earlier replies approved (docs/performance.md); 0 leaves the scheduler's default.
   */
  @IsInt()
  @Min(0)
  @Max(19)
  RUNS_NICE = 0;

  /**
   * Fairness across partition keys (docs/architecture.md, *Fair queues*): steps of parent runs
   * (intentQ) in flight at once, over every partition and replica. A new partition's step waits
   * behind at most this many others.
   */
  @IsInt()
  @Min(1)
  @Max(100_000)
  INTENTQ_WINDOW = 256;

  /** Child tasks (sbxQ) in flight at once, over every partition and replica: the sandbox slots. */
  @IsInt()
  @Min(1)
  @Max(100_000)
  SBXQ_WINDOW = 64;

  /** Each partition's own limit on its items in flight per queue; 0: none but the window. */
  @IsInt()
  @Min(0)
  @Max(MAX_PARTITION_LIMIT)
  PARTITION_LIMIT = 0;

  /** Overrides of PARTITION_LIMIT for named partitions: `tenant-a=4,tenant-b=64`. */
  @IsPartitionLimits()
  PARTITION_LIMITS = '';
}
