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
  // issuing
  FUNDER_NOT_FOUND: '出资方不存在',
  FUNDER_NAME_TAKEN: '出资方名称已存在',
  FUNDER_BUDGET_BELOW_ALLOCATED: '预算不能低于已分配给活动的金额',
  FUNDER_BUDGET_EXCEEDED: '出资方预算不足',
  FUNDER_NOT_ACTIVE: '出资方尚未发布或已停用',
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
};

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
    const fields = (details as { field?: string }[]).map((x) => x.field).filter(Boolean);
    if (fields.length) return `${base}：${fields.join('、')}`;
  }
  if (typeof d.thresholdFen === 'number' && code.includes('THRESHOLD'))
    return `${base}（门槛 ${formatFen(d.thresholdFen)}）`;
  return base;
}
