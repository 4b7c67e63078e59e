import { chunkJobId } from './settlement.jobs';

describe('chunkJobId', () => {
  it('is the same for the same chunk of the same run, and differs across runs that reuse an id', () => {
    const run = { id: 7, token: '0f2c61e4-5b8a-4c59-9d1e-2d1a4b6f7a10' };
    expect(chunkJobId(run, 3)).toBe('settle-7-3-0f2c61e4');
    expect(chunkJobId(run, 3)).toBe(chunkJobId({ ...run }, 3));
    expect(chunkJobId({ id: 7, token: 'a1b2c3d4-0000-0000-0000-000000000000' }, 3)).not.toBe(
      chunkJobId(run, 3),
    );
    expect(chunkJobId(run, 3)).not.toContain(':');
  });
});
