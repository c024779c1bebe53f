/**
 * The release (#20 item 4): `.github/workflows/*.yml` pass actionlint (built from the Go module proxy at
 * the version pinned in tools/actionlint/go.mod by scripts/build-actionlint.sh; without shellcheck on
 * PATH actionlint does not check `run:` scripts), and release.yml does what a release needs: on a `v*`
 * tag it runs npm ci + npm test, builds the image for linux/amd64 and linux/arm64 with an SBOM and
 * provenance, pushes it to ghcr.io/<owner>/dbupdate and the chart to oci://ghcr.io/<owner>/charts, with
 * least-privilege permissions and every action pinned by commit SHA. SECURITY.md and the CHANGELOG's
 * 0.1.0 section. Go must be installed: the suite fails, not skips, without it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOWS = join(ROOT, '.github/workflows');

function run(cmd: string, args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 300_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

let actionlint: string;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'release-workflow-'));
  const built = await run(join(ROOT, 'scripts/build-actionlint.sh'), []);
  if (built.code !== 0) throw new Error(`scripts/build-actionlint.sh failed: ${built.stderr}`);
  actionlint = built.stdout.trim();
}, 300_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = { needs?: string | string[]; permissions?: Record<string, string>; container?: string; steps: Step[] };
type Workflow = { on: { push: { tags: string[] } }; permissions: Record<string, string>; jobs: Record<string, Job> };
const release = () => readFileSync(join(WORKFLOWS, 'release.yml'), 'utf8');

describe('actionlint', { timeout: 120_000 }, () => {
  it('is the pinned version', async () => {
    const mod = readFileSync(join(ROOT, 'tools/actionlint/go.mod'), 'utf8');
    const pinned = /github\.com\/rhysd\/actionlint (v[\d.]+)/.exec(mod)![1];
    const v = await run(actionlint, ['-version']);
    expect(v.stdout.split('\n')[0]).toBe(pinned.slice(1));
  });

  it('passes every workflow', async () => {
    const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(WORKFLOWS, f));
    expect(files.map((f) => f.slice(WORKFLOWS.length + 1))).toContain('release.yml');
    const r = await run(actionlint, ['-no-color', ...files]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('fails a broken copy, naming the fault (the check can fail)', async () => {
    const broken = release().replace('needs: test', 'needs: tests').replace('${{ github.ref_name }}', '${{ github.ref_nam }}');
    const f = join(dir, 'broken.yml');
    writeFileSync(f, broken);
    const r = await run(actionlint, ['-no-color', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/job "image" needs job "tests" which does not exist/);
    expect(r.stdout).toMatch(/property "ref_nam" is not defined/);
  });
});

describe('release.yml', () => {
  const wf = () => parse(release()) as Workflow;
  const steps = (job: string) => wf().jobs[job].steps;
  const uses = (job: string, action: string) => steps(job).find((s) => s.uses?.startsWith(`${action}@`));

  it('runs on v* tags; tests first, then the image, then the chart', () => {
    const w = wf();
    expect(w.on).toEqual({ push: { tags: ['v*'] } });
    expect(Object.keys(w.jobs)).toEqual(['test', 'image', 'chart']);
    expect([w.jobs.image.needs, w.jobs.chart.needs]).toEqual(['test', 'image']);
  });

  it('the test job runs npm ci and npm test (.ci/run) on Debian, after checking the versions agree', () => {
    const run = steps('test').map((s) => s.run ?? '').join('\n');
    expect(run).toContain('.ci/run');
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
    expect(wf().jobs.test.container).toMatch(/^node:\d+-bookworm$/);
    expect(run).toContain('require(\'./package.json\').version');
  });

  it('least privilege: nothing at the top, contents read everywhere, packages write only where it pushes', () => {
    const w = wf();
    expect(w.permissions).toEqual({});
    expect(w.jobs.test.permissions).toEqual({ contents: 'read' });
    expect(w.jobs.image.permissions).toEqual({ contents: 'read', packages: 'write' });
    expect(w.jobs.chart.permissions).toEqual({ contents: 'read', packages: 'write' });
    for (const job of Object.values(w.jobs)) {
      for (const s of job.steps.filter((x) => x.uses?.startsWith('actions/checkout@'))) expect(s.with).toMatchObject({ 'persist-credentials': false });
    }
  });

  it('every action is pinned by a full commit SHA, with its release tag in a comment', () => {
    const lines = release().split('\n').filter((l) => /^\s*(- )?uses:/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(8);
    for (const l of lines) expect(l).toMatch(/uses: [\w-]+\/[\w-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('a multi-arch image with SBOM and provenance, pushed to ghcr.io/<owner>/dbupdate', () => {
    expect(uses('image', 'docker/setup-qemu-action')).toBeDefined();
    expect(uses('image', 'docker/setup-buildx-action')).toBeDefined();
    expect(uses('image', 'docker/login-action')?.with).toMatchObject({ registry: 'ghcr.io' });
    expect(uses('image', 'docker/metadata-action')?.with).toMatchObject({ images: 'ghcr.io/${{ github.repository_owner }}/dbupdate' });
    expect(uses('image', 'docker/build-push-action')?.with).toMatchObject({ platforms: 'linux/amd64,linux/arm64', push: true, sbom: true, provenance: 'mode=max' });
  });

  it('the chart pushed as an OCI artifact to ghcr.io/<owner>/charts, the chart\'s image being that owner\'s', () => {
    const script = steps('chart').map((s) => s.run ?? '').join('\n');
    expect(script).toMatch(/helm" package deploy\/helm\/dbupdate/);
    expect(script).toContain('"$helm" push "dist/dbupdate-$version.tgz" "oci://ghcr.io/$owner/charts"');
    const values = parse(readFileSync(join(ROOT, 'deploy/helm/dbupdate/values.yaml'), 'utf8')) as { image: { repository: string; tag: string } };
    expect(values.image).toMatchObject({ repository: 'ghcr.io/dbupdate-dev/dbupdate', tag: '' });
    // The test job refuses a release whose chart points at another owner's image.
    expect(steps('test').map((s) => s.run ?? '').join('\n')).toContain('grep -q "^  repository: ghcr.io/$owner/dbupdate\\$" deploy/helm/dbupdate/values.yaml');
    expect(readFileSync(join(ROOT, 'deploy/kustomization.yaml'), 'utf8')).toMatch(/newName: ghcr\.io\/dbupdate-dev\/dbupdate\n\s+newTag: "0\.1\.0"/);
  });
});

describe('SECURITY.md and CHANGELOG.md', () => {
  it('SECURITY.md says how to report, which versions are supported and what the bot can access', () => {
    const s = readFileSync(join(ROOT, 'SECURITY.md'), 'utf8');
    expect(s.match(/^## .+$/gm)).toEqual(['## Reporting a vulnerability', '## Supported versions', '## What the bot can access', '## Hardening']);
    expect(s).toContain('/security/advisories/new');
  });

  it('the CHANGELOG has [Unreleased] above a dated [0.1.0] matching package.json', () => {
    const c = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
    const heads = c.match(/^## \[.+$/gm)!;
    expect(heads[0]).toBe('## [Unreleased]');
    expect(heads[1]).toMatch(/^## \[0\.1\.0\] - \d{4}-\d{2}-\d{2}$/);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version).toBe('0.1.0');
  });
});
