/** `inspector doctor`: what this machine can actually do, found by trying, not by listing names. */
import os from 'node:os';
import type { DoctorReport } from '../../shared/contract';
import { discoverPacks, type PackRoot } from '../packs/discover';
import { probeProviders } from '../runtime/providers';
import { nativeVersions } from '../runtime/versions';

export interface DoctorInput {
  inspectorVersion: string;
  probeModelPath: string;
  packRoots: PackRoot[];
}

export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const versions = nativeVersions();
  return {
    versions: { inspector: input.inspectorVersion, ...versions },
    platform: process.platform,
    arch: process.arch,
    cpus: os.availableParallelism(),
    executionProviders: await probeProviders(input.probeModelPath),
    packs: discoverPacks(input.packRoots),
  };
}
