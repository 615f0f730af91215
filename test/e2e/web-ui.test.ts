import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { listReleases } from '../../src/deploy/release-store.js';
import { resolveTargetRoot } from '../../src/deploy/resolve-target.js';
import { makeE2eProject, ACTORS, PASSWORD, DRIFT_ID, type E2eProject } from './helpers/fixture.js';
import { ensureWebBuilt } from './helpers/web-build.js';
import { launchChromium, logIn, openPage, runAxe, screenshot, seriousOf, type WatchedPage } from './helpers/browser.js';

let project: E2eProject;
let server: RunningServer;
let browser: Browser;
let current: WatchedPage | null = null;

beforeAll(async () => {
  await ensureWebBuilt();
  project = await makeE2eProject();
  server = await startServer({
    config: project.config,
    port: 0,
    host: '127.0.0.1',
    audit: path.join(project.dir, 'audit.log'),
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await project?.cleanup();
});

afterEach(async () => {
  await current?.context.close();
  current = null;
});

/** Opens a page for one test; the afterEach closes it. */
async function open(): Promise<WatchedPage> {
  current = await openPage(browser, server.url);
  return current;
}

/** Changeset ids in a package, in order, from DBPKG's per-changeset marker comment ({"id":…,"author":…}). */
function changeSetIdsOf(sql: string): string[] {
  return [...sql.matchAll(/^-- .*\{"id":"([^"]+)","author":"[^"]*","filename":"[^"]*"\}$/gm)].map((m) => m[1]!);
}

/** Asserts axe-core finds nothing serious or critical. */
async function expectAccessible(w: WatchedPage, where: string) {
  const violations = await runAxe(w.page);
  expect(seriousOf(violations), `${where}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

describe('login', () => {
  it('refuses a wrong password with a message, then signs in; the login page is accessible', async () => {
    const w = await open();
    const { page } = w;
    await page.goto('/');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('username');
    await expectAccessible(w, 'login');
    await screenshot(page, '01-login');
    // Keyboard only: type, Tab, type, Enter.
    await page.keyboard.type('viewer');
    await page.keyboard.press('Tab');
    await page.keyboard.type('not the password');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong user name or password.');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await page.getByTestId('user').textContent()).toBe('viewer (viewer)');
    // The only console error is the browser's own network line for the refused login (401).
    expect(w.errors).toHaveLength(1);
    expect(w.errors[0]).toMatch(/401/);
  });
});

describe('as a viewer', () => {
  it('health page shows overall status and each component with measured values, refreshed live', async () => {
    const w = await open();
    const { page } = w;
    await logIn(page, 'viewer', PASSWORD);
    const overall = page.getByTestId('overall');
    await overall.waitFor();
    expect(await overall.textContent()).toMatch(/Overall status.*(HEALTHY|DEGRADED|UNHEALTHY)/);
    const dbCard = page.getByTestId('component-database');
    // 14 changesets were applied by the fixture (001-teams-users.sql … 005-audit-log.sql): measured from the table.
    expect(await dbCard.getByRole('row', { name: /Migrations count/ }).textContent()).toBe('Migrations count14');
    expect(await dbCard.getByRole('row', { name: /Response time/ }).textContent()).toMatch(
      /^Response time\d+(\.\d+)? ms$/,
    );
    expect(await dbCard.locator('.badge').textContent()).toMatch(/HEALTHY/);
    for (const c of ['api', 'security', 'disk']) await page.getByTestId(`component-${c}`).waitFor();
    // Status is text + icon, not colour alone.
    expect(await overall.locator('.badge').textContent()).toMatch(/^[✔▲✖](HEALTHY|DEGRADED|UNHEALTHY)$/);
    // Live: the page polls by itself; "Last checked" moves on without any interaction.
    const meta = page.locator('p.meta').first();
    const first = await meta.textContent();
    await expect.poll(() => meta.textContent(), { timeout: 15_000, interval: 500 }).not.toBe(first);
    await expectAccessible(w, 'health');
    await screenshot(page, '02-health');
    expect(w.errors).toEqual([]);
  });

  it('database page lists applied, pending and drift changesets; filter and search narrow the table', async () => {
    const w = await open();
    const { page } = w;
    await logIn(page, 'viewer', PASSWORD);
    await page.getByRole('link', { name: 'Database' }).click();
    const table = page.getByTestId('changesets');
    await expect.poll(() => page.getByTestId('db-count').textContent()).toMatch(/^Showing 20 of 20 changesets$/);
    expect(await page.getByTestId('db-summary').textContent()).toBe('✔13 applied◷6 pending✖1 checksum drift?0 unknown');
    const drift = table.locator('tr[data-state="drift"]');
    expect(await drift.count()).toBe(1);
    expect(await drift.locator('td').nth(1).textContent()).toBe(DRIFT_ID);
    expect(await drift.locator('td').last().textContent()).toMatch(/\(changelog now: 9:[0-9a-f]{32}\)/);
    expect(await drift.locator('td').nth(2).textContent()).toBe('umig');
    expect(await drift.locator('td').nth(3).textContent()).toBe('db/changelog/changes/002-status-reference.sql');
    expect(await drift.locator('td').nth(4).textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await expectAccessible(w, 'database');
    await screenshot(page, '03-database');

    await page.getByLabel('Status').selectOption('pending');
    await expect.poll(() => page.getByTestId('db-count').textContent()).toBe('Showing 6 of 20 changesets');
    const states = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
    expect(states).toEqual(Array(6).fill('pending'));
    await page.getByLabel('Search').fill('dev-');
    await expect.poll(() => page.getByTestId('db-count').textContent()).toBe('Showing 3 of 20 changesets');
    const ids = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(ids).toEqual(['100-dev-teams', '101-dev-users', '110-dev-migration-plan']);
    await page.getByLabel('Status').selectOption('all');
    await page.getByLabel('Search').fill('AUDIT-LOG.SQL');
    await expect.poll(() => page.getByTestId('db-count').textContent()).toBe('Showing 3 of 20 changesets');
    await page.getByLabel('Search').fill('no such changeset');
    await expect.poll(() => page.getByText('No changeset matches the filter.').count()).toBe(1);
    expect(w.errors).toEqual([]);
  });

  it('"Generate package" downloads the self-contained SQL: whole, since a changeset, and for chosen contexts', async () => {
    const w = await open();
    const { page } = w;
    await logIn(page, 'viewer', PASSWORD);
    await page.getByRole('link', { name: 'Database' }).click();
    await page.getByTestId('changesets').locator('tbody tr').first().waitFor();
    const generate = async () => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Generate package' }).click(),
      ]);
      return { name: download.suggestedFilename(), sql: await readFile((await download.path())!, 'utf8') };
    };

    await page.getByLabel('File name').fill('umig.database:package');
    const whole = await generate();
    expect(whole.name).toBe('umig_database_package.sql');
    expect(whole.sql).toContain('-- === FILE: db/changelog/changes/001-teams-users.sql ===');
    expect(whole.sql).toContain('-- === FILE: db/changelog/changes/008-audit-retention.sql ===');
    const wholeIds = changeSetIdsOf(whole.sql);
    expect(wholeIds).toHaveLength(20);
    expect(wholeIds.slice(0, 2)).toEqual(['001-create-teams-table', '002-create-users-table']);
    expect(wholeIds.slice(-3)).toEqual(['100-dev-teams', '101-dev-users', '110-dev-migration-plan']);
    expect(await page.getByRole('status').filter({ hasText: 'generated' }).textContent()).toMatch(
      /^✔Self-contained SQL package generated successfullyumig_database_package\.sql — 20 changeset\(s\), \d+ bytesDismiss$/,
    );

    await page.getByLabel('File name').fill('');
    await page.getByLabel('Since a changeset').check();
    await page.getByLabel('Changeset (the package starts after it)').selectOption('014-attach-audit-triggers');
    await page.getByLabel(/^Contexts/).fill('prod');
    const delta = await generate();
    expect(delta.name).toBe('umig-database-package.sql');
    expect(delta.sql).toContain('-- === FILE: db/changelog/changes/006-users-last-login.sql ===');
    // After 014, and context prod leaves out the dev seed.
    expect(changeSetIdsOf(delta.sql)).toEqual([
      '015-add-users-last-login',
      '016-view-migration-progress',
      '017-create-audit-purge-function',
    ]);
    await expectAccessible(w, 'database with package form');
    await screenshot(page, '04-database-package');
    expect(w.errors).toEqual([]);
  });

  it("a failed generation shows the seed's error message", async () => {
    const w = await open();
    const { page } = w;
    await logIn(page, 'viewer', PASSWORD);
    await page.getByRole('link', { name: 'Database' }).click();
    await page.getByLabel('Since a tag').check();
    await page.getByLabel('Tag', { exact: true }).fill('no-such-tag');
    await page.getByRole('button', { name: 'Generate package' }).click();
    const notice = page.locator('.notice-error');
    await notice.waitFor();
    expect(await notice.locator('strong').textContent()).toBe('Package generation failed');
    expect(await notice.locator('.notice-detail').textContent()).toMatch(/no-such-tag.*\(E_[A-Z_]+\)/);
    // Only the browser's network line for the refused request.
    expect(w.errors).toHaveLength(1);
    expect(w.errors[0]).toMatch(/Failed to load resource: the server responded with a status of 4\d\d/);
  });

  it('releases page shows history, the live release, digest, who and when — and no rollback for a viewer (403 on a direct POST)', async () => {
    const w = await open();
    const { page, context } = w;
    await logIn(page, 'viewer', PASSWORD);
    await page.getByRole('link', { name: 'Releases' }).click();
    const rows = page.getByTestId('releases').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const [r1, r0] = project.releases; // r0 = 1.1.0 (live), r1 = 1.0.0
    const liveRow = page.locator(`tr[data-release="${r0!.id}"]`);
    expect(await liveRow.getAttribute('data-current')).toBe('true');
    expect(await liveRow.locator('td').first().textContent()).toBe('●live');
    expect(await liveRow.locator('td').nth(1).textContent()).toBe('1.1.0');
    expect(await liveRow.locator('td').nth(4).textContent()).toBe('ci-1.1.0@example.test');
    expect(await liveRow.locator('td').nth(5).textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(await liveRow.locator('td').nth(6).textContent()).toBe('✔success');
    const record = (await listReleases(resolveTargetRoot(project.config, 'prod'))).find((r) => r.id === r0!.id)!;
    expect(await liveRow.locator('td').nth(3).getAttribute('title')).toBe(record.sha256);
    expect(await liveRow.locator('td').nth(3).textContent()).toBe(`${record.sha256.slice(0, 12)}…`);
    const oldRow = page.locator(`tr[data-release="${r1!.id}"]`);
    expect(await oldRow.getAttribute('data-current')).toBe('false');
    // A user-controlled string (the deploy actor) full of markup is shown as text and never runs.
    expect(await oldRow.locator('td').nth(4).textContent()).toBe(ACTORS['1.0.0']);
    expect(await oldRow.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.getByTestId('live-release').textContent()).toBe(`Target prod: live release 1.1.0 (${r0!.id})`);
    expect(await page.getByRole('button', { name: /Roll back/ }).count()).toBe(0);
    expect(await page.getByRole('columnheader', { name: 'Action' }).count()).toBe(0);
    await expectAccessible(w, 'releases (viewer)');
    await screenshot(page, '05-releases-viewer');

    // The server refuses it too: same session cookie, right CSRF token and Origin, wrong group.
    const csrf = (await context.cookies()).find((c) => c.name === 'slipway_csrf')!.value;
    const res = await context.request.post(`/api/releases/${r1!.id}/rollback`, {
      headers: { origin: server.url, 'x-csrf-token': csrf },
      data: {},
    });
    expect(res.status()).toBe(403);
    expect((await res.json()).error.code).toBe('E_FORBIDDEN');
    expect((await listReleases(resolveTargetRoot(project.config, 'prod'))).find((r) => r.current)?.id).toBe(
      project.releases[1]!.id,
    );
    expect(w.errors).toEqual([]);
  });

  it('manifest page shows the four export formats as tabs (arrow keys) and a labelled before/after size chart', async () => {
    const w = await open();
    const { page } = w;
    await logIn(page, 'viewer', PASSWORD);
    await page.getByRole('link', { name: 'Build manifest' }).click();
    const summary = page.getByTestId('manifest-summary');
    await summary.waitFor();
    // The summary and the chart complete when GET /api/report has answered: wait for them, do not read at once.
    await expect.poll(() => summary.textContent()).toMatch(/^umig 1\.1\.0 — build .+ smaller than the project tree/);
    const text = page.getByTestId('manifest-text');
    await expect.poll(() => text.textContent()).toMatch(/^\{\n {2}"schemaVersion": 1,/);
    const json = JSON.parse((await text.textContent())!);
    expect(json.version).toBe('1.1.0');
    // The chart: bars with their numbers as text, and the same figures in a table.
    const svg = page.locator('figure.chart svg');
    await expect.poll(() => svg.getAttribute('role')).toBe('img');
    await expect
      .poll(() => svg.locator('text.chart-label').allTextContents())
      .toEqual(expect.arrayContaining(['node_modules', 'logs']));
    const labels = await svg.locator('text.chart-label').allTextContents();
    expect(labels[0]).toBe('whole project');
    expect(labels).toEqual(expect.arrayContaining(['application', 'database', 'docs']));
    // "Before" is not in the package any more: the page reads <package>.report.json (GET /api/report).
    expect(json.deployment.sourceBytes).toBeNull();
    const report = JSON.parse(
      await readFile(
        path.join(project.dir, 'out', json.deployment.packageName.replace(/\.tar\.gz$/, '.report.json')),
        'utf8',
      ),
    );
    const wholeRow = page.locator('table.chart-table tbody tr').first();
    expect(await wholeRow.locator('td').nth(0).textContent()).toContain(`(${report.sizes.before.totalBytes} B)`);
    expect(await wholeRow.locator('td').nth(1).textContent()).toContain(`(${json.deployment.contentBytes} B)`);
    expect(report.sizes.before.totalBytes).toBeGreaterThan(json.deployment.contentBytes);
    expect(labels).toEqual(expect.arrayContaining(['node_modules', 'logs']));
    const values = await svg.locator('text.chart-value').allTextContents();
    expect(values.length).toBeGreaterThanOrEqual(4);
    for (const v of values) expect(v).toMatch(/^\d+(\.\d\d)? (B|kB|MB)$/);
    await expectAccessible(w, 'manifest');
    await screenshot(page, '06-manifest');

    // Keyboard: the selected tab is the one tab stop; arrows move and select.
    await page.getByRole('tab', { name: 'JSON' }).focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByRole('tab', { name: 'YAML' }).getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => text.textContent()).toMatch(/^schemaVersion: 1\n/);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => text.textContent()).toMatch(/^umig 1\.1\.0 — build /);
    await page.keyboard.press('End');
    await expect.poll(() => text.textContent()).toMatch(/^# Deployment report: umig 1\.1\.0/);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Deployment report');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByRole('tab', { name: 'JSON' }).getAttribute('aria-selected')).toBe('true');
    await screenshot(page, '07-manifest-tabs');
    expect(w.errors).toEqual([]);
  });

  it('is usable by keyboard: skip link, navigation, visible focus', async () => {
    const w = await open();
    const { page } = w;
    await logIn(page, 'viewer', PASSWORD);
    // After sign-in focus is on the page heading; on a fresh load it is at the start of the document.
    // Sign-in moves focus after the page renders: wait for it rather than read it at once.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('page-title');
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.keyboard.press('Tab');
    const focused = () =>
      page.evaluate(() => ({
        text: document.activeElement?.textContent ?? '',
        outline: getComputedStyle(document.activeElement!).outlineStyle,
      }));
    await expect.poll(focused).toEqual({ text: 'Skip to content', outline: 'solid' });
    await page.keyboard.press('Tab');
    await expect.poll(focused).toEqual({ text: 'Health', outline: 'solid' });
    await page.keyboard.press('Tab');
    await expect.poll(async () => (await focused()).text).toBe('Database');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('page-title');
    expect(page.url()).toBe(`${server.url}/database`);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Database');
    // Back button and a reload of a deep link both land on the right page (the server serves index.html there).
    await page.goBack();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Health');
    await page.goto('/releases');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Releases');
    expect(w.errors).toEqual([]);
  });
});

describe('session end', () => {
  it('returns to the login form with a note when the session is gone (expired or server restarted)', async () => {
    const w = await open();
    const { page, context } = w;
    await logIn(page, 'viewer', PASSWORD);
    await page.getByTestId('overall').waitFor();
    await context.clearCookies();
    // The next health poll (every 5 s) answers 401.
    await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('.info-text').textContent()).toBe(
      'Your session has ended (it expired or the server restarted). Sign in again.',
    );
    expect(w.errors).toHaveLength(1);
    expect(w.errors[0]).toMatch(/status of 401/);
  });
});

describe('as a deployer', () => {
  it('rolls back to a chosen release after confirming in a modal dialog; the list then shows the new live release', async () => {
    const w = await open();
    const { page } = w;
    await logIn(page, 'deployer', PASSWORD);
    await page.getByRole('link', { name: 'Releases' }).click();
    const [older] = project.releases;
    const button = page.getByRole('button', { name: `Roll back to 1.0.0 (${older!.id})` });
    await button.waitFor();
    // Only the non-live release offers a rollback.
    expect(await page.getByRole('button', { name: /^Roll back to/ }).count()).toBe(1);

    // Keyboard: Enter opens the dialog with focus on Cancel; Escape closes it without doing anything.
    await button.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Roll back the live release?' });
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    expect(await dialog.textContent()).toContain(`Release 1.0.0 (${older!.id}`);
    await expectAccessible(w, 'rollback dialog');
    await screenshot(page, '08-rollback-dialog');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect((await listReleases(resolveTargetRoot(project.config, 'prod'))).find((r) => r.current)?.version).toBe(
      '1.1.0',
    );

    await button.click();
    await dialog.getByRole('button', { name: 'Roll back to 1.0.0' }).click();
    await expect
      .poll(() => page.locator('.notice-success').textContent(), { timeout: 30_000 })
      .toMatch(/Rolled back to 1\.0\.0/);
    await expect
      .poll(() => page.getByTestId('live-release').textContent())
      .toBe(`Target prod: live release 1.0.0 (${older!.id})`);
    const live = page.locator('tr[data-current="true"]');
    expect(await live.getAttribute('data-release')).toBe(older!.id);
    // The journal agrees: the target really switched.
    const records = await listReleases(resolveTargetRoot(project.config, 'prod'));
    expect(records.find((r) => r.current)?.id).toBe(older!.id);
    // Now 1.1.0 is the one that can be rolled back to.
    expect(await page.getByRole('button', { name: /^Roll back to 1\.1\.0/ }).count()).toBe(1);
    await expectAccessible(w, 'releases (deployer)');
    await screenshot(page, '09-releases-after-rollback');
    expect(w.errors).toEqual([]);
  });
});

describe('as an admin', () => {
  it('sees every page and can roll back; signing out returns to the login form', async () => {
    const w = await open();
    const { page } = w;
    await logIn(page, 'admin', PASSWORD);
    expect(await page.getByTestId('user').textContent()).toBe('admin (admin)');
    await page.getByRole('link', { name: 'Releases' }).click();
    await page.getByRole('button', { name: /^Roll back to 1\.1\.0/ }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const session = await (await w.context.request.get('/api/session')).json();
    expect(session.authenticated).toBe(false);
    expect(w.errors).toEqual([]);
  });
});
