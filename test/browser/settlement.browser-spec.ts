import { Browser, BrowserContext, Page } from 'playwright-core';
import { Role } from '@jinli/contracts';
import { Actor, APP_CONFIG, StaffAuthService } from '@jinli/platform';
import { PayoutService, SettlementRunService, StatementService } from '@jinli/settlement';
import { DAY, Factories, MerchantFixture, SettlementFactories, TestApi } from '@jinli/testing';
import { launchChromium, screenshot, watchErrors } from './support/browser';
import { startStack, Stack } from './support/stack';

/**
 * The finance console's payouts in Debian's Chromium, against the real API and worker. The money
 * trail is laid down through the services (redemptions three and two days ago, refunds after
 * approval, settlement runs), then finance works on the page: a statement whose part was refunded
 * since settlement carries a badge; a payout of one selected statement takes the merchant's
 * claw-back with it; another reviewer downloads its file while finance cancels it, so it is cancelled
 * only once finance confirms the bank did not receive the file; a funder's payout carries a negative
 * merchant over (listed under 待追回); its creator cannot mark it paid; a second reviewer downloads
 * its file (the row says so) and marks it paid with one transfer returned by the bank.
 */
const PASSWORD = 'Browser-test-2020';
const run = `${process.pid % 10000}${Date.now() % 100000}`;

/** The Suzhou business day `n` days before now, and an instant of it. */
const dayAgo = (n: number) => new Date(Date.now() - n * DAY + 8 * 3600_000).toISOString().slice(0, 10);
const at = (day: string, time: string) => new Date(`${day}T${time}:00+08:00`);

interface StatementRow {
  id: number;
  merchantId: number;
  businessDay: string;
  status: string;
  totalFen: number;
  payoutId: number | null;
}

describe('finance console: payouts with claw-backs, four eyes, failed transfers and cancelling', () => {
  let stack: Stack;
  let browser: Browser;
  const errors: string[] = [];
  const contexts: BrowserContext[] = [];
  const users = { finance: `sfin${run}`, finance2: `sfin2${run}` };
  const actors = {} as Record<keyof typeof users, Actor>;
  const d1 = dayAgo(3);
  const d2 = dayAgo(2);
  let funderId = 0;
  let run1 = 0;
  /** A: claw-back taken along; B: paid, then refunded (carried over); C: refunded while under review; D: the bank returns its transfer. */
  const m = {} as Record<'a' | 'b' | 'c' | 'd', MerchantFixture>;
  let s: Record<'a1' | 'a2' | 'b2' | 'c1' | 'd1', number>;

  async function statementsOf(merchantIds: number[]): Promise<StatementRow[]> {
    return (await stack.dataSource.query(
      `SELECT id, merchant_id AS "merchantId", business_day AS "businessDay", status, total_fen AS "totalFen",
              payout_id AS "payoutId"
         FROM settlement_statement WHERE merchant_id = ANY($1) ORDER BY business_day, merchant_id`,
      [merchantIds],
    )) as StatementRow[];
  }

  async function settle(day: string): Promise<number> {
    const runs = stack.app.get(SettlementRunService);
    const started = await runs.start(actors.finance, { fromDay: day, toDay: day });
    await runs.runNow(started.id);
    return started.id;
  }

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1366, height: 900 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watchErrors(page, errors);
    page.on('request', (r) => {
      if (!/^(data|blob):/.test(r.url()) && !r.url().startsWith(stack.baseUrl))
        errors.push(`external request ${r.url()}`);
    });
    return page;
  }

  async function signIn(page: Page, username: string) {
    await page.goto(`${stack.baseUrl}/console/`);
    await page.locator('[data-test=username] input').fill(username);
    await page.locator('[data-test=password] input').fill(PASSWORD);
    await page.locator('[data-test=sign-in]').click();
    await page.waitForURL(/\/console\/settlement$/);
  }

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startStack();
    const staff = stack.app.get(StaffAuthService);
    for (const key of ['finance', 'finance2'] as const) {
      const view = await staff.create({
        username: users[key],
        password: PASSWORD,
        role: Role.Finance,
        displayName: `${key} 测试`,
      });
      actors[key] = { id: view.id, role: Role.Finance };
    }
    // Factories build through the real services; they only need what TestApi offers.
    const api = {
      get: (t: never) => stack.app.get(t),
      clock: stack.clock,
      dataSource: stack.dataSource,
      config: stack.app.get(APP_CONFIG),
    } as unknown as TestApi;
    const f = await new Factories(api).init();
    const sf = new SettlementFactories(api, f);
    // One funder pays the whole campaign: one statement per merchant and day.
    const campaign = await f.campaign({
      shares: [10000],
      startsAt: new Date(Date.now() - 10 * DAY),
      endsAt: new Date(Date.now() + 20 * DAY),
    });
    const batch = await f.batch({ campaignId: campaign.id });
    [{ funderId }] = (await stack.dataSource.query(
      `SELECT funder_id AS "funderId" FROM campaign_funder WHERE campaign_id = $1`,
      [campaign.id],
    )) as { funderId: number }[];
    for (const k of ['a', 'b', 'c', 'd'] as const) m[k] = await sf.merchant();

    // Day 1: A redeems twice, B, C and D once (¥30.00 each).
    const redeem = (merchant: MerchantFixture, time: string) =>
      sf.redeem({ batch, merchant, at: at(d1, time) });
    const ra = [await redeem(m.a, '12:00'), await redeem(m.a, '12:05')];
    const rb = await redeem(m.b, '12:10');
    const rc = await redeem(m.c, '12:15');
    await redeem(m.d, '12:20');
    run1 = await settle(d1);
    let rows = await statementsOf(Object.values(m).map((x) => x.merchantId));
    const day1 = (k: keyof typeof m) =>
      rows.find((r) => r.merchantId === m[k].merchantId && r.businessDay === d1)!;
    // The second reviewer approves A, B and D; C stays under review.
    const review = stack.app.get(StatementService);
    await review.approve(actors.finance2, [day1('a').id, day1('b').id, day1('d').id]);
    // B is paid before its refund: its claw-back will have nothing to net with.
    const payouts = stack.app.get(PayoutService);
    const paidB = await payouts.create(actors.finance, { statementIds: [day1('b').id] });
    await payouts.markPaid(actors.finance2, paidB.id, `ICBC-B-${run}`);

    // Day 2: A, B and C are refunded in full.
    await sf.refund(ra[0].id, { at: at(d2, '10:00') });
    await sf.refund(rb.id, { at: at(d2, '10:05') });
    await sf.refund(rc.id, { at: at(d2, '10:10') });
    await settle(d2);
    rows = await statementsOf(Object.values(m).map((x) => x.merchantId));
    const day2 = (k: keyof typeof m) =>
      rows.find((r) => r.merchantId === m[k].merchantId && r.businessDay === d2);
    // A and B get claw-back statements; C's refund waits for its statement's review.
    expect(day2('a')?.totalFen).toBe(-3000);
    expect(day2('b')?.totalFen).toBe(-3000);
    expect(day2('c')).toBeUndefined();
    await review.approve(actors.finance2, [day2('a')!.id, day2('b')!.id]);
    s = { a1: day1('a').id, a2: day2('a')!.id, b2: day2('b')!.id, c1: day1('c').id, d1: day1('d').id };
    expect(day1('a').totalFen).toBe(6000);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.close();
  });

  afterEach(() => {
    const seen = errors.splice(0);
    expect(seen).toEqual([]);
  });

  let page: Page;

  it('a statement whose part was refunded since settlement carries a badge, and its line says so', async () => {
    page = await newPage();
    await signIn(page, users.finance);
    await page.locator('[data-test=statement-run]').fill(String(run1));
    await page.locator('[data-test=statement-run]').press('Enter');
    const row = page.locator(`[data-test=statement-${s.c1}]`);
    await row.waitFor();
    await expect(page.locator(`[data-test=reversed-${s.c1}]`).textContent()).resolves.toContain(
      '1 笔已退款（¥30.00）',
    );
    await expect(row.textContent()).resolves.toContain('先挂起再释放');
    await page.locator(`[data-test=lines-${s.c1}]`).click();
    await expect(page.locator(`[data-test=lines-of-${s.c1}]`).textContent()).resolves.toContain(
      `已退款撤销（自 ${d2} 10:10）`,
    );
    await screenshot(page, 'console-statement-refunded');
  });

  it('a payout of one selected statement takes the claw-back along; its creator cannot mark it paid; once downloaded, it is cancelled only with the bank’s non-receipt confirmed', async () => {
    await page.locator('[data-test=statement-status]').selectOption('approved');
    await page.locator(`[data-test=select-${s.a1}]`).check();
    await page.locator('[data-test=create-payout]').click();
    expect(await page.locator('[data-test=scope-selected]').isChecked()).toBe(true);
    await page.locator('[data-test=create-payout-confirm]').click();
    const created = page.locator('[data-test=payout-created]');
    await created.waitFor();
    await page.locator('[data-test=create-payout-dialog]').waitFor({ state: 'hidden' });
    await expect(created.textContent()).resolves.toContain('¥30.00（2 张结算单）');
    await expect(created.textContent()).resolves.toContain(`另含 1 张同商户结算单（含追回）：#${s.a2}`);
    await screenshot(page, 'console-payout-created');
    await page.locator('[data-test=to-payouts]').click();

    const [{ payoutId }] = (await stack.dataSource.query(
      `SELECT payout_id AS "payoutId" FROM settlement_statement WHERE id = $1`,
      [s.a1],
    )) as { payoutId: number }[];
    const row = page.locator(`[data-test=payout-${payoutId}]`);
    await row.waitFor();
    // Four eyes: finance made it, so finance cannot confirm the bank paid it.
    expect(await page.locator(`[data-test=payout-paid-button-${payoutId}]`).isDisabled()).toBe(true);
    await expect(page.locator(`[data-test=payout-four-eyes-${payoutId}]`).textContent()).resolves.toContain(
      '需另一位财务确认打款',
    );
    await screenshot(page, 'console-payout-four-eyes');

    // Never downloaded: cancelling asks only for a reason.
    expect(await page.locator(`[data-test=payout-downloaded-${payoutId}]`).count()).toBe(0);
    await page.locator(`[data-test=payout-cancel-${payoutId}]`).click();
    expect(await page.locator('[data-test=cancel-bank-did-not-receive]').count()).toBe(0);
    await page.locator('[data-test=cancel-confirm]').click();
    await expect(page.locator('[data-test=cancel-error]').textContent()).resolves.toContain('请填写作废原因');
    await page.locator('[data-test=cancel-reason]').fill('付款文件金额有误，作废重出');
    // Meanwhile another reviewer downloads the file: the server refuses, and the dialog now warns
    // and asks for the confirmation.
    await stack.app.get(PayoutService).xlsx(actors.finance2, payoutId);
    await page.locator('[data-test=cancel-confirm]').click();
    // The reason's error stays until the answer comes: wait for the new one.
    await page.locator('[data-test=cancel-error]', { hasText: '付款文件已下载 1 次（首次' }).waitFor();
    await expect(page.locator('[data-test=cancel-downloaded-warning]').textContent()).resolves.toContain(
      '商户将被重复打款',
    );
    await expect(page.locator(`[data-test=payout-downloaded-${payoutId}]`).textContent()).resolves.toContain(
      '文件已下载 1 次，首次',
    );
    expect(await row.getAttribute('data-status')).toBe('exported');
    await page.locator('[data-test=cancel-confirm]').click();
    await page
      .locator('[data-test=cancel-error]', { hasText: '付款文件已下载：请先确认银行未收到此文件，再作废' })
      .waitFor();
    await screenshot(page, 'console-payout-cancel-downloaded');
    await page.locator('[data-test=cancel-bank-did-not-receive]').check();
    await page.locator('[data-test=cancel-confirm]').click();
    await page.locator(`[data-test=payout-${payoutId}][data-status=cancelled]`).waitFor();
    await expect(row.textContent()).resolves.toContain('已作废');
    await page.locator('[data-test=cancel-dialog]').waitFor({ state: 'hidden' });
    // The statements tab is hidden, not unmounted, while another tab shows.
    expect(await page.locator('[data-test=statements]').isVisible()).toBe(false);
    await expect(
      page.locator(`[data-test=payout-cancel-reason-${payoutId}]`).textContent(),
    ).resolves.toContain('付款文件金额有误，作废重出');
    // No bank file any more, and nothing left to do with it.
    await expect(page.locator(`[data-test=payout-csv-${payoutId}]`).count()).resolves.toBe(0);
    await expect(page.locator(`[data-test=payout-xlsx-${payoutId}]`).count()).resolves.toBe(0);
    await expect(page.locator(`[data-test=payout-cancel-${payoutId}]`).count()).resolves.toBe(0);
    await screenshot(page, 'console-payout-cancelled');
    const back = await statementsOf([m.a.merchantId]);
    expect(back.map((x) => [x.status, x.payoutId])).toEqual([
      ['approved', null],
      ['approved', null],
    ]);
    const [cancelAudit] = (await stack.dataSource.query(
      `SELECT details FROM audit_log WHERE entity_type = 'payout' AND entity_id = $1 AND action = 'payout.cancel'`,
      [String(payoutId)],
    )) as { details: Record<string, unknown> }[];
    expect(cancelAudit.details).toMatchObject({ bankDidNotReceive: true, fileDownloadCount: 1 });
  });

  it("a funder's payout carries the negative merchant over, listed under 待追回 and warned about by the audit", async () => {
    await page.getByRole('tab', { name: '结算单' }).click();
    await page.locator('[data-test=create-payout]').click();
    await page.locator('[data-test=scope-funder]').check();
    await page.locator('[data-test=scope-funder-id]').selectOption(String(funderId));
    await page.locator('[data-test=create-payout-confirm]').click();
    const created = page.locator('[data-test=payout-created]');
    await created.waitFor();
    // A (¥60.00 less the ¥30.00 claw-back) and D (¥30.00); B nets -¥30.00 and waits.
    await expect(created.textContent()).resolves.toContain('¥60.00（3 张结算单）');
    await expect(created.textContent()).resolves.toContain('1 个商户净额为负，已结转（共 -¥30.00');
    await page.locator('[data-test=to-payouts]').click();

    await page.getByRole('tab', { name: '待追回' }).click();
    const owed = page.locator(`[data-test=clawback-${funderId}-${m.b.merchantId}]`);
    await owed.waitFor();
    await expect(owed.textContent()).resolves.toContain('-¥30.00');
    await expect(owed.textContent()).resolves.toContain(`#${s.b2}`);
    await expect(owed.textContent()).resolves.toContain('0 天');
    await screenshot(page, 'console-clawbacks');

    await page.getByRole('tab', { name: '账务核查' }).click();
    await page.locator('[data-test=audit-run]').click();
    const check = page.locator('[data-test="check-settlement.outstanding_clawbacks"]');
    await check.waitFor({ timeout: 30_000 });
    // Outstanding claw-backs are a warning, not a failure.
    expect(await check.getAttribute('data-state')).toBe('warning');
    await expect(check.textContent()).resolves.toContain('提醒');
    await expect(page.locator('[data-test=audit-summary]').textContent()).resolves.toMatch(/项提醒需关注/);
    await screenshot(page, 'console-audit-checks');
  });

  it('a second reviewer marks it paid with the transfer the bank returned, and the rows say so', async () => {
    const [{ payoutId }] = (await stack.dataSource.query(
      `SELECT payout_id AS "payoutId" FROM settlement_statement WHERE id = $1`,
      [s.d1],
    )) as { payoutId: number }[];
    await page.locator('[data-test=sign-out]').click();
    await signIn(page, users.finance2);
    await page.getByRole('tab', { name: '打款批次' }).click();
    // Downloading the bank file is recorded on the payout, and the row says so.
    await page.locator(`[data-test=payout-${payoutId}]`).waitFor();
    expect(await page.locator(`[data-test=payout-downloaded-${payoutId}]`).count()).toBe(0);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator(`[data-test=payout-csv-${payoutId}]`).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`payout-${payoutId}.csv`);
    await expect(page.locator(`[data-test=payout-downloaded-${payoutId}]`).textContent()).resolves.toMatch(
      /^文件已下载 1 次，首次 \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/,
    );
    const button = page.locator(`[data-test=payout-paid-button-${payoutId}]`);
    expect(await button.isDisabled()).toBe(false);
    await button.click();
    await page.locator(`[data-test=pay-row-${m.d.merchantId}]`).waitFor();
    await expect(page.locator(`[data-test=pay-row-${m.a.merchantId}]`).textContent()).resolves.toContain(
      '****0123',
    );
    await page.locator('[data-test=bank-reference]').fill(`ICBC-${run}`);
    await page.locator(`[data-test=pay-failed-${m.d.merchantId}]`).check();
    await page.locator('[data-test=mark-paid-confirm]').click();
    await expect(page.locator('[data-test=mark-paid-error]').textContent()).resolves.toContain(
      '请填写退回原因',
    );
    await page.locator(`[data-test=pay-reason-${m.d.merchantId}]`).fill('收款账户已销户');
    await screenshot(page, 'console-mark-paid');
    await page.locator('[data-test=mark-paid-confirm]').click();

    await page.locator(`[data-test=payout-${payoutId}][data-status=paid]`).waitFor();
    await page.locator('[data-test=mark-paid-dialog]').waitFor({ state: 'hidden' });
    await expect(page.locator(`[data-test=payout-paid-${payoutId}]`).textContent()).resolves.toBe(
      '已付 ¥30.00，失败 ¥30.00',
    );
    await page.locator(`[data-test=payout-rows-${payoutId}]`).click();
    const failed = page.locator(`[data-test=row-${payoutId}-${m.d.merchantId}]`);
    await failed.waitFor();
    expect(await failed.getAttribute('data-status')).toBe('failed');
    await expect(failed.textContent()).resolves.toContain('失败');
    await expect(failed.textContent()).resolves.toContain('收款账户已销户');
    await expect(failed.textContent()).resolves.toContain('****0123');
    expect(
      await page.locator(`[data-test=row-${payoutId}-${m.a.merchantId}]`).getAttribute('data-status'),
    ).toBe('paid');
    await screenshot(page, 'console-payout-paid');

    // A is paid (its claw-back netted); D's statement is back, approved, for the next payout.
    const after = await statementsOf([m.a.merchantId, m.d.merchantId]);
    expect(after.map((x) => [x.merchantId, x.status, x.payoutId === null])).toEqual([
      [m.a.merchantId, 'paid', false],
      [m.d.merchantId, 'approved', true],
      [m.a.merchantId, 'paid', false],
    ]);
    const [payout] = (await stack.dataSource.query(
      `SELECT status, paid_by AS "paidBy", created_by AS "createdBy", paid_fen AS "paidFen" FROM payout WHERE id = $1`,
      [payoutId],
    )) as { status: string; paidBy: number; createdBy: number; paidFen: number }[];
    expect(payout).toEqual({
      status: 'paid',
      paidBy: actors.finance2.id,
      createdBy: actors.finance.id,
      paidFen: 3000,
    });
  });
});
