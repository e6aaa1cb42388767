/**
 * deploy/: the Kubernetes Indexed Job manifest checked against the batch/v1 Job schema fields it
 * uses (kubectl is not available here: no `kubectl --dry-run`), and its shard count against the
 * --shard it passes; the Dockerfile runs the CLI. Neither the image build nor a cluster run is
 * done by this test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../../support/paths';

// Field names of batch/v1 JobSpec, PodTemplateSpec, PodSpec and Container (Kubernetes 1.31 API).
const JOB_SPEC = ['activeDeadlineSeconds', 'backoffLimit', 'backoffLimitPerIndex', 'completionMode', 'completions', 'managedBy', 'manualSelector', 'maxFailedIndexes', 'parallelism', 'podFailurePolicy', 'podReplacementPolicy', 'selector', 'successPolicy', 'suspend', 'template', 'ttlSecondsAfterFinished'];
const POD_SPEC = ['activeDeadlineSeconds', 'affinity', 'automountServiceAccountToken', 'containers', 'dnsConfig', 'dnsPolicy', 'enableServiceLinks', 'ephemeralContainers', 'hostAliases', 'hostIPC', 'hostNetwork', 'hostPID', 'hostUsers', 'hostname', 'imagePullSecrets', 'initContainers', 'nodeName', 'nodeSelector', 'os', 'overhead', 'preemptionPolicy', 'priority', 'priorityClassName', 'readinessGates', 'resourceClaims', 'restartPolicy', 'runtimeClassName', 'schedulerName', 'schedulingGates', 'securityContext', 'serviceAccountName', 'setHostnameAsFQDN', 'shareProcessNamespace', 'subdomain', 'terminationGracePeriodSeconds', 'tolerations', 'topologySpreadConstraints', 'volumes'];
const CONTAINER = ['args', 'command', 'env', 'envFrom', 'image', 'imagePullPolicy', 'lifecycle', 'livenessProbe', 'name', 'ports', 'readinessProbe', 'resizePolicy', 'resources', 'restartPolicy', 'securityContext', 'startupProbe', 'stdin', 'stdinOnce', 'terminationMessagePath', 'terminationMessagePolicy', 'tty', 'volumeDevices', 'volumeMounts', 'workingDir'];

const unknown = (obj: object, allowed: string[]) => Object.keys(obj).filter((k) => !allowed.includes(k));

describe('deploy: Kubernetes Indexed Job and container recipe', () => {
  const job = parse(readFileSync(join(repoRoot, 'deploy', 'reinspect-job.yaml'), 'utf8'));

  it('is a valid batch/v1 Indexed Job whose pods shard by JOB_COMPLETION_INDEX', () => {
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Indexed' } });
    expect(job.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    const spec = job.spec;
    expect(unknown(spec, JOB_SPEC)).toEqual([]);
    expect(Number.isInteger(spec.completions) && spec.completions > 0).toBe(true);
    expect(spec.parallelism).toBeLessThanOrEqual(spec.completions);
    // backoffLimitPerIndex / maxFailedIndexes exist only for Indexed Jobs.
    expect(spec.maxFailedIndexes).toBeLessThanOrEqual(spec.completions);
    const pod = spec.template.spec;
    expect(unknown(pod, POD_SPEC)).toEqual([]);
    // Job pods may not restart Always.
    expect(['Never', 'OnFailure']).toContain(pod.restartPolicy);
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(unknown(c, CONTAINER)).toEqual([]);
    expect(c.name).toBeTruthy();
    expect(c.image).toBeTruthy();
    const script = [...c.command, ...c.args].join('\n');
    expect(script).toContain('${JOB_COMPLETION_INDEX}');
    const n = Number(/\bN=(\d+)/.exec(script)?.[1]);
    expect(n).toBe(spec.completions); // --shard I/N with N = completions: every index, every case
    expect(script).toMatch(/batch .*--shard "\$\{JOB_COMPLETION_INDEX\}\/\$\{N\}"/s);
    expect(script).toMatch(/sync --to "\$CENTRAL_URL"/);
    // Every mount names a declared volume.
    const volumes = new Set(pod.volumes.map((v: { name: string }) => v.name));
    for (const m of c.volumeMounts) expect(volumes.has(m.name), m.name).toBe(true);
    // The central credentials come from a Secret, not the manifest.
    expect(c.env.find((e: { name: string }) => e.name === 'CENTRAL_URL').valueFrom.secretKeyRef).toBeTruthy();
  });

  it('has a Dockerfile that installs with npm ci and runs the CLI as a non-root user', () => {
    const df = readFileSync(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8');
    expect(df).toMatch(/^FROM node:24/m);
    expect(df).toMatch(/RUN npm ci/);
    expect(df).toMatch(/^USER 10001$/m);
    expect(df).toMatch(/ENTRYPOINT \["node", "\/opt\/inspector\/bin\/inspector\.js"\]/);
    expect(job.spec.template.spec.securityContext.runAsUser).toBe(10001);
  });
});
