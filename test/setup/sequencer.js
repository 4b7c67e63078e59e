const Sequencer = require('@jest/test-sequencer').default;

/** Browser specs first (they are the slowest), then the rest by jest's own order. */
class JinliSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const rank = (t) => (t.path.includes('browser-spec') ? 0 : t.path.includes('int-spec') ? 1 : 2);
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
module.exports = JinliSequencer;
