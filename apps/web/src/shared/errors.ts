import { dateTime } from './format';
import { formatFen } from './money';

/**
 * The API answers with stable error codes (libs/contracts); people read these sentences instead.
 * Cashier-facing ones say what to do next. Unknown codes fall back to a sentence by HTTP status.
 */
const MESSAGES: Record<string, string> = {
  // common
  VALIDATION_FAILED: '填写的内容不正确，请检查后重试',
  MALFORMED_REQUEST: '请求格式不正确',
  UNAUTHENTICATED: '请先登录',
  FORBIDDEN: '没有权限执行此操作',
  NOT_FOUND: '没有找到相关内容',
  CONFLICT: '数据已被他人修改，请刷新后重试',
  PAYLOAD_TOO_LARGE: '提交的内容过大',
  UNSUPPORTED_MEDIA_TYPE: '请求格式不受支持，请刷新页面后重试',
  RATE_LIMITED: '请求太频繁，请稍后再试',
  IDEMPOTENCY_KEY_REQUIRED: '请求缺少防重复标识，请刷新页面',
  IDEMPOTENCY_KEY_REUSED: '重复提交的内容与上次不同，请重新操作',
  IDEMPOTENCY_IN_PROGRESS: '上一次提交仍在处理中，请稍候',
  INTERNAL: '系统繁忙，请稍后再试',
  UNAVAILABLE: '服务暂时不可用，请稍后再试',
  NETWORK: '网络连接失败，请检查网络后重试',
  // auth
  AUTH_INVALID_CREDENTIALS: '用户名或密码错误',
  AUTH_ACCOUNT_LOCKED: '密码错误次数过多，账号已临时锁定，请稍后再试',
  AUTH_ACCOUNT_DISABLED: '账号已停用，请联系管理员',
  AUTH_TOKEN_EXPIRED: '登录已过期，请重新登录',
  AUTH_TOKEN_INVALID: '登录已失效，请重新登录',
  AUTH_OTP_INVALID: '验证码不正确',
  AUTH_OTP_EXPIRED: '验证码已过期，请重新获取',
  AUTH_OTP_TOO_MANY_ATTEMPTS: '验证码错误次数过多，请重新获取',
  AUTH_OTP_TOO_FREQUENT: '验证码发送太频繁，请稍后再试',
  AUTH_ROLE_FORBIDDEN: '当前账号没有此页面的权限',
  AUTH_STORE_FORBIDDEN: '您不属于该门店，不能在此门店操作',
  AUTH_USERNAME_TAKEN: '用户名已被占用',
  AUTH_ALREADY_VERIFIED: '该账号已用另一个身份证号完成实名认证，实名信息不能更改；如有疑问请联系客服',
  AUTH_ID_NUMBER_TAKEN: '该身份证号已绑定其他手机号账号，一个身份证号只能认证一个账号',
  // issuing
  FUNDER_NOT_FOUND: '出资方不存在',
  FUNDER_NAME_TAKEN: '出资方名称已存在',
  FUNDER_BUDGET_BELOW_ALLOCATED: '预算不能低于已分配给活动的金额',
  FUNDER_BUDGET_EXCEEDED: '出资方预算不足',
  FUNDER_NOT_ACTIVE: '出资方尚未发布或已停用',
  FUNDER_IN_USE: '仍有未结束的活动使用该出资方，不能暂停或结束：请先结束这些活动或将该出资方移出',
  CAMPAIGN_NOT_FOUND: '活动不存在',
  CAMPAIGN_DATES_INVALID: '活动起止时间不正确',
  CAMPAIGN_SHARES_INVALID: '各出资方比例之和必须为 100%',
  CAMPAIGN_NOT_EDITABLE: '活动当前状态不能修改',
  CAMPAIGN_NOT_PUBLISHED: '请先发布活动',
  BATCH_NOT_FOUND: '券批次不存在',
  BATCH_THRESHOLD_BELOW_FACE_VALUE: '使用门槛不能低于面额',
  BATCH_OVER_CAMPAIGN_BUDGET: '券批次总面额超出活动预算',
  BATCH_VALIDITY_INVALID: '有效期设置不正确',
  BATCH_USAGE_WINDOW_INVALID: '使用时段设置不正确',
  BATCH_ROUNDS_INVALID: '场次设置不正确',
  BATCH_ROUND_OUTSIDE_CAMPAIGN: '场次时间必须在活动期内',
  BATCH_ROUNDS_OVER_QUOTA: '各场次数量之和超过总量',
  BATCH_MONEY_RULES_LOCKED: '已有市民领券，面额、门槛等规则不能再修改',
  BATCH_REFERENCE_UNKNOWN: '行业或区域不存在',
  INVALID_STATUS_TRANSITION: '当前状态不能执行此操作',
  STALE_VERSION: '内容已被他人修改，请刷新后重试',
  MERCHANT_NOT_FOUND: '商户不存在',
  MERCHANT_NOT_PENDING: '该商户不在待审核状态',
  MERCHANT_NOT_APPROVED: '商户未通过审核或已暂停，暂不能核销',
  STORE_NOT_FOUND: '门店不存在',
  // claiming
  CLAIM_LIMIT_REACHED: '您已领取过该券',
  CLAIM_ROUND_NOT_OPEN: '还没到开抢时间',
  CLAIM_ROUND_SOLD_OUT: '本轮已抢光',
  CLAIM_BATCH_SOLD_OUT: '已抢光',
  CLAIM_NOT_ELIGIBLE: '暂不符合领取条件',
  // redemption: said to a cashier, with what to do next
  VOUCHER_CODE_MALFORMED: '券码不正确，请重新扫码或核对 18 位数字',
  VOUCHER_CODE_FORGED: '无效券码，不是锦鲤消费券，请顾客出示手机上的券码',
  VOUCHER_CODE_EXPIRED: '券码已过期（可能是截图），请顾客刷新券码后重新扫码',
  VOUCHER_CODE_NOT_YET_VALID: '券码时间异常，请顾客刷新券码后重新扫码',
  VOUCHER_CODE_WRONG_VOUCHER: '券码与预览的券不是同一张，请重新扫码预览',
  VOUCHER_CODE_OTHER_ENVIRONMENT: '该券码不属于本系统（测试券或其他地区的券）',
  VOUCHER_NOT_FOUND: '没有找到这张券',
  VOUCHER_ALREADY_REDEEMED: '该券已核销，不能重复使用',
  VOUCHER_EXPIRED: '该券已过期',
  VOUCHER_VOID: '该券已作废',
  VOUCHER_NOT_YET_VALID: '该券尚未到可用日期',
  VOUCHER_OUTSIDE_USAGE_WINDOW: '当前不在该券可用时段',
  ORDER_BELOW_THRESHOLD: '订单金额未达到使用门槛',
  VOUCHERS_PER_ORDER_EXCEEDED: '该小票号的订单已用过券：每单限用 1 张',
  REPEAT_REDEMPTION_TOO_SOON:
    '该顾客刚在本店用过券：同一笔消费只能用一张券；如确为另一笔订单，请在「小票号」填写本单小票号后重新预览',
  MERCHANT_CATEGORY_NOT_ALLOWED: '该券不能在本行业商户使用',
  MERCHANT_DISTRICT_NOT_ALLOWED: '该券不能在本区域门店使用',
  MERCHANT_NOT_WHITELISTED: '本店不在该券的适用商户名单内',
  CAMPAIGN_PAUSED: '活动已暂停，暂不能用券',
  CAMPAIGN_ENDED: '活动已结束，不能用券',
  BATCH_PAUSED: '该券暂停使用',
  BATCH_ENDED: '该券已停止使用',
  FUNDER_NOT_PUBLISHED: '该券的补贴出资方已暂停或停止出资，暂不能用券，请顾客改用其他券',
  FUNDER_BUDGET_EXHAUSTED: '补贴资金已用完，暂不能用券',
  REDEMPTION_NOT_FOUND: '没有找到这笔核销记录',
  REDEMPTION_ALREADY_REVERSED: '这笔核销已退款冲正，不能再退',
  REFUND_EXCEEDS_ORDER: '退款金额不能超过订单剩余金额',
  // settlement and reports
  SETTLEMENT_RUN_NOT_FOUND: '结算批次不存在',
  SETTLEMENT_RANGE_INVALID: '结算日期范围不正确（只能结算已结束的营业日）',
  SETTLEMENT_RUN_NOT_RESUMABLE: '该结算批次不能继续',
  STATEMENT_NOT_FOUND: '结算单不存在',
  STATEMENT_INVALID_TRANSITION: '结算单当前状态不能执行此操作',
  STATEMENT_FOUR_EYES: '四眼原则：发起结算的人不能审批，请由另一位财务人员审批',
  STATEMENT_REASON_REQUIRED: '驳回或挂起必须填写原因',
  PAYOUT_NOT_FOUND: '打款批次不存在',
  PAYOUT_NOTHING_TO_PAY: '没有已批准、待打款的结算单',
  PAYOUT_ALREADY_PAID: '该打款批次已标记为已打款',
  PAYOUT_FOUR_EYES: '四眼原则：生成打款批次的人不能确认已打款，请由另一位财务人员确认',
  PAYOUT_NOT_EXPORTED: '该打款批次已作废或已打款，不能执行此操作',
  PAYOUT_FILE_DOWNLOADED: '该打款批次的付款文件已下载，作废前须确认银行未收到此文件，以免重复打款',
  PAYOUT_ROW_NOT_FOUND: '打款批次中没有该商户的转账',
  REPORT_RANGE_INVALID: '报表日期范围不正确',
  REPORT_GROUPING_UNSUPPORTED: '不支持该统计维度',
};

/** Field names of the operator's forms, for a VALIDATION_FAILED answer's list of fields. */
const FIELD_NAMES: Record<string, string> = {
  name: '名称',
  description: '说明',
  startsAt: '开始时间',
  endsAt: '结束时间',
  budgetFen: '预算',
  funders: '出资方',
  'funders.shareBp': '出资比例',
  faceValueFen: '面额',
  thresholdFen: '使用门槛',
  quota: '总量',
  perCitizenLimit: '每人限领',
  vouchersPerOrder: '每单限用张数',
  validity: '有效期',
  'validity.days': '有效天数',
  'validity.from': '有效期开始',
  'validity.until': '有效期结束',
  usageWindows: '使用时段',
  rounds: '场次',
  'rounds.opensAt': '场次开抢时间',
  'rounds.quota': '场次数量',
  version: '版本',
};

/** A batch's money rules (libs/issuing MONEY_RULES): frozen once a voucher is claimed. */
export const MONEY_RULE_NAMES: Record<string, string> = {
  faceValueFen: '面额',
  thresholdFen: '使用门槛',
  validity: '有效期',
  refundPolicy: '退款规则',
  perCitizenLimit: '每人限领',
};

/** Who a forged-code block counts (libs/redemption ForgedCodeGuard): said to the cashier. */
const FORGED_SCOPE: Record<string, string> = {
  cashier: '您的账号',
  store: '本门店',
  merchant: '本商户各门店',
};

/** A till's scans are refused for a while after too many invalid (forged) codes: say why and for how long. */
export function forgedBlockSentence(scope: string, retryAfterS?: number): string {
  const wait =
    retryAfterS === undefined
      ? '请稍后再试'
      : retryAfterS >= 60
        ? `约 ${Math.ceil(retryAfterS / 60)} 分钟后恢复`
        : `${retryAfterS} 秒后恢复`;
  return `${FORGED_SCOPE[scope] ?? '本店'}近期扫到的无效券码过多，扫码已暂停，${wait}。请让顾客打开手机上的实时券码，不要用截图或手输号码`;
}

/** Codes of later contexts (claiming, redemption, settlement, reporting), registered by their pages. */
export function registerMessages(more: Record<string, string>): void {
  Object.assign(MESSAGES, more);
}

export function hasMessage(code: string): boolean {
  return code in MESSAGES;
}

function byStatus(status: number): string {
  if (status === 0) return MESSAGES.NETWORK;
  if (status === 401) return '请先登录';
  if (status === 403) return '没有权限执行此操作';
  if (status === 404) return '没有找到相关内容';
  if (status === 409) return '操作冲突，请刷新后重试';
  if (status === 429) return MESSAGES.RATE_LIMITED;
  if (status >= 500) return MESSAGES.INTERNAL;
  return '操作未成功';
}

/** A sentence for an error code; details add the specifics (amounts in ¥, remaining attempts...). */
export function describeError(code: string, details?: unknown, status = 400): string {
  const base = MESSAGES[code] ?? `${byStatus(status)}（${code}）`;
  const d = (details ?? {}) as Record<string, unknown>;
  if (code === 'AUTH_OTP_INVALID' && typeof d.attemptsLeft === 'number')
    return `${base}，还可尝试 ${d.attemptsLeft} 次`;
  if (code === 'AUTH_OTP_TOO_FREQUENT' && typeof d.retryAfterS === 'number')
    return `${base}（${d.retryAfterS} 秒后）`;
  if (code === 'VALIDATION_FAILED' && Array.isArray(details) && details.length) {
    const fields = (details as { field?: string }[])
      .map((x) => x.field && (FIELD_NAMES[x.field.replace(/\.\d+/g, '')] ?? x.field))
      .filter(Boolean);
    if (fields.length) return `${base}：${fields.join('、')}`;
  }
  if (code === 'BATCH_MONEY_RULES_LOCKED' && Array.isArray(d.fields) && d.fields.length) {
    const names = (d.fields as string[]).map((f) => MONEY_RULE_NAMES[f] ?? f).join('、');
    const claimed =
      typeof d.issuedCount === 'number' ? `已有 ${d.issuedCount} 张券被市民领取` : '已有市民领券';
    return `${claimed}，${names}不能再修改（决定补贴金额的规则在领券后锁定）；名称、说明、总量、使用时段和适用范围仍可修改`;
  }
  if (code === 'BATCH_MONEY_RULES_LOCKED' && Array.isArray(d.claimedBatchIds))
    return `活动下已有 ${d.claimedBatchIds.length} 个券批次被市民领取，预算和出资比例不能再修改；名称、说明和起止时间仍可修改`;
  if (code === 'RATE_LIMITED' && typeof d.scope === 'string' && d.scope in FORGED_SCOPE)
    return forgedBlockSentence(d.scope, typeof d.retryAfterS === 'number' ? d.retryAfterS : undefined);
  if (code === 'FUNDER_IN_USE' && Array.isArray(d.campaigns) && d.campaigns.length) {
    const names = (d.campaigns as { name?: string }[]).map((c) => `「${c.name ?? ''}」`).join('、');
    return `仍有未结束的活动使用该出资方（${names}），不能暂停或结束：请先结束这些活动或将该出资方移出`;
  }
  if (code === 'PAYOUT_NOTHING_TO_PAY' && Array.isArray(d.carriedOver) && d.carriedOver.length) {
    const merchants = new Set((d.carriedOver as { merchantId: number }[]).map((c) => c.merchantId)).size;
    return `没有可打款的金额：所选的 ${merchants} 个商户净额为负（退款追回多于应付），已结转，待其后续结算单抵扣（见「待追回」）`;
  }
  if (code === 'PAYOUT_NOTHING_TO_PAY' && Array.isArray(d.ids) && d.ids.length)
    return `结算单 ${(d.ids as number[]).map((id) => `#${id}`).join('、')} 不是已批准且未进入打款批次的结算单，请刷新后重选`;
  if (code === 'PAYOUT_FILE_DOWNLOADED' && typeof d.fileDownloadCount === 'number')
    return `付款文件已下载 ${d.fileDownloadCount} 次（首次 ${dateTime(d.fileDownloadedAt as string | null)}），作废前须确认银行未收到此文件，以免重复打款`;
  if (code === 'PAYOUT_ROW_NOT_FOUND' && Array.isArray(d.failedRows) && d.failedRows.length)
    return `${base}（商户 ${(d.failedRows as { merchantId: number }[]).map((r) => r.merchantId).join('、')}），请刷新后重选`;
  if (code === 'STALE_VERSION')
    return `在您编辑期间，内容已被他人修改${typeof d.currentVersion === 'number' ? `（现为第 ${d.currentVersion} 版）` : ''}，您的修改尚未保存：请重新载入最新内容后再改`;
  if (typeof d.thresholdFen === 'number' && code.includes('THRESHOLD'))
    return `${base}（门槛 ${formatFen(d.thresholdFen)}）`;
  return base;
}
