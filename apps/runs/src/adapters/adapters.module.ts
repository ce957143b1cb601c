import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { RunsEnv } from '../config/runs.env';
import { COMPILER, type Compiler } from './compiler';
import { LiveCompiler } from './live.compiler';
import { LiveSandbox } from './live.sandbox';
import { MockSandbox } from './mock.sandbox';
import { ReplayCompiler } from './replay.compiler';
import { SANDBOX, type Sandbox } from './sandbox';

/** Picks the compiler and sandbox adapters from OC_MODE and SBX_MODE. */
@Module({
  providers: [
    {
      provide: COMPILER,
      inject: [ConfigService],
      useFactory: (config: ConfigService<RunsEnv, true>): Compiler =>
        config.get('OC_MODE', { infer: true }) === 'live'
          ? new LiveCompiler(config.get('OC_URL', { infer: true }), config.get('LIVE_TIMEOUT_MS', { infer: true }))
          : new ReplayCompiler(),
    },
    {
      provide: SANDBOX,
      inject: [ConfigService],
      useFactory: (config: ConfigService<RunsEnv, true>): Sandbox =>
        config.get('SBX_MODE', { infer: true }) === 'live'
          ? new LiveSandbox(config.get('SBX_URL', { infer: true }), config.get('LIVE_TIMEOUT_MS', { infer: true }))
          : new MockSandbox(config.get('SBX_MOCK_DELAY_MS', { infer: true })),
    },
  ],
  exports: [COMPILER, SANDBOX],
})
export class AdaptersModule {}
