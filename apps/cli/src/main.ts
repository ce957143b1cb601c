#!/usr/bin/env node
import 'reflect-metadata';
import { processIo } from './cli-io';
import { runCli } from './program';

void runCli(process.argv.slice(2), processIo).then((code) => process.exit(code));
