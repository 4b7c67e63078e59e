import { backoffMs } from './api';
import { ERROR_STATUS } from '@jinli/contracts';
import { describeError, hasMessage } from './errors';

describe('retries and error sentences', () => {
  it('backs off exponentially with full jitter, capped, never shorter than Retry-After', () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      for (let i = 0; i < 50; i++) {
        const ms = backoffMs(attempt, undefined, 300, 5000);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThanOrEqual(Math.min(5000, 300 * 2 ** attempt));
      }
    }
    expect(backoffMs(0, 3)).toBeGreaterThanOrEqual(3000);
    // Jitter: a crowd of phones does not retry in the same millisecond.
    const spread = new Set(Array.from({ length: 20 }, () => Math.round(backoffMs(3))));
    expect(spread.size).toBeGreaterThan(10);
  });

  it('turns codes into Chinese sentences, with details', () => {
    expect(describeError('CLAIM_ROUND_SOLD_OUT')).toBe('本轮已抢光');
    expect(describeError('AUTH_OTP_INVALID', { attemptsLeft: 2 })).toBe('验证码不正确，还可尝试 2 次');
    expect(describeError('STATEMENT_FOUR_EYES')).toContain('四眼原则');
    expect(describeError('SOMETHING_ELSE', undefined, 503)).toBe('系统繁忙，请稍后再试（SOMETHING_ELSE）');
    expect(describeError('NETWORK', undefined, 0)).toBe('网络连接失败，请检查网络后重试');
  });

  it('names the live campaigns that keep a funder from being paused or ended', () => {
    expect(
      describeError('FUNDER_IN_USE', {
        campaigns: [
          { id: 1, name: '夜经济消费券', status: 'published' },
          { id: 2, name: '餐饮券', status: 'draft' },
        ],
      }),
    ).toBe(
      '仍有未结束的活动使用该出资方（「夜经济消费券」、「餐饮券」），不能暂停或结束：请先结束这些活动或将该出资方移出',
    );
    expect(describeError('FUNDER_IN_USE')).toContain('请先结束这些活动');
  });

  it('has a Chinese sentence for every error code the API can answer', () => {
    expect(Object.keys(ERROR_STATUS).filter((code) => !hasMessage(code))).toEqual([]);
  });
});
