import { ApiError } from '../shared/api';

// The page's HTTP client, scripted per test: the claim logic under test is catalogue.ts's.
const post = jest.fn();
const get = jest.fn();
jest.mock('./state', () => ({
  api: { post: (...a: unknown[]) => post(...a), get: (...a: unknown[]) => get(...a) },
}));

import { claim } from './catalogue';

const BATCH = 7;
const vouchers = (n: number) => ({
  items: Array.from({ length: n }, (_, i) => ({ id: i + 1, batchId: BATCH })),
});
const dropped = () => new ApiError(0, 'NETWORK', 'TypeError: Failed to fetch');

describe('a claim whose answer may have been lost', () => {
  beforeEach(() => {
    post.mockReset();
    get.mockReset();
    jest.spyOn(Math, 'random').mockReturnValue(0); // no backoff wait
  });
  afterEach(() => jest.restoreAllMocks());

  it('is not sent again when my vouchers show it went through (limit above one)', async () => {
    post.mockRejectedValueOnce(dropped());
    get.mockResolvedValueOnce(vouchers(2)); // held 1 before the tap, 2 now
    expect(await claim(BATCH, 1)).toEqual({ kind: 'claimed', voucherId: null });
    expect(post).toHaveBeenCalledTimes(1);
    expect(get).toHaveBeenCalledWith('/me/vouchers', expect.anything());
  });

  it('is sent again when my vouchers show it did not (a proxy 504 too)', async () => {
    post
      .mockRejectedValueOnce(new ApiError(504, 'HTTP_504', 'Gateway Timeout'))
      .mockResolvedValueOnce({ id: 42 });
    get.mockResolvedValueOnce(vouchers(1));
    expect(await claim(BATCH, 1)).toEqual({ kind: 'claimed', voucherId: 42 });
    expect(post).toHaveBeenCalledTimes(2);
  });

  it("retries the API's own 503 (nothing was claimed) and a 429 without reading my vouchers", async () => {
    post
      .mockRejectedValueOnce(new ApiError(503, 'UNAVAILABLE', 'busy'))
      .mockRejectedValueOnce(new ApiError(429, 'RATE_LIMITED', 'slow down'))
      .mockResolvedValueOnce({ id: 43 });
    expect(await claim(BATCH, 0)).toEqual({ kind: 'claimed', voucherId: 43 });
    expect(post).toHaveBeenCalledTimes(3);
    expect(get).not.toHaveBeenCalled();
  });

  it('ends as unknown (see 我的券) when every try was lost, and as an error when the API kept saying busy', async () => {
    post.mockRejectedValue(dropped());
    get.mockResolvedValue(vouchers(0));
    expect(await claim(BATCH, 0)).toEqual({ kind: 'unknown' });
    expect(post).toHaveBeenCalledTimes(5);

    post.mockReset();
    post.mockRejectedValue(new ApiError(503, 'UNAVAILABLE', 'busy'));
    await expect(claim(BATCH, 0)).rejects.toMatchObject({ status: 503, code: 'UNAVAILABLE' });
  });

  it('retries when my vouchers cannot be read either', async () => {
    post.mockRejectedValueOnce(dropped()).mockResolvedValueOnce({ id: 44 });
    get.mockRejectedValueOnce(dropped());
    expect(await claim(BATCH, 0)).toEqual({ kind: 'claimed', voucherId: 44 });
  });
});
