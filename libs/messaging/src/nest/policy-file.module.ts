import { Global, Injectable, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { knownRecipes, loadPolicyFile, type PolicyEnv, type PolicyFile } from '@gatehouse/contracts';

/**
 * GATE_POLICY_FILE as this process read it at start (the environment check already refused a bad
 * file with exit 78): the recipes a run may name and the gate policies. Changing the file takes a
 * restart of every process that reads it (gateway, runs, gates).
 */
@Injectable()
export class PolicyFileService {
  private readonly logger = new Logger(PolicyFileService.name);
  readonly file: PolicyFile;
  /** Built-in recipes and the declared ones, for the recipe law. */
  readonly recipes: readonly string[];

  constructor(config: ConfigService<PolicyEnv, true>) {
    const path = config.get('GATE_POLICY_FILE', { infer: true });
    const { file, warnings } = loadPolicyFile(path);
    this.file = file;
    this.recipes = knownRecipes(file);
    for (const warning of warnings) this.logger.warn({ msg: 'gate policy file: deprecated shape', warning });
    if (path) {
      const gates = Object.values(file.recipes).reduce((n, g) => n + Object.keys(g).length, 0);
      this.logger.log({ msg: 'gate policy file loaded', path, recipes: this.recipes, gates });
    }
  }
}

@Global()
@Module({ providers: [PolicyFileService], exports: [PolicyFileService] })
export class PolicyFileModule {}
