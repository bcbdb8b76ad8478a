// Reassembled byte streams against `tshark -q -z follow,tcp,raw,N`, for every stream of every
// fixture and public capture, per direction.
//
// tshark's Follow has quirks of its own; both sides are brought to one form before comparing:
// - Bytes the peer acknowledged but the capture never had become the text "[N bytes missing in
//   capture file]" in tshark's output (and only once later bytes of that direction arrived);
//   our stream reports a 'not-captured' gap. Both become one GAP(N) marker (adjacent ones merged).
// - Bytes behind a hole that is never acknowledged stay in tshark's out-of-order list and are
//   never printed; we report an 'end-of-capture' gap and deliver them. So our stream is compared
//   up to its first 'end-of-capture' gap, and a trailing gap (nothing after it) is dropped.
// - A segment cut by the snap length: tshark prints the captured part and silently skips the
//   rest; we report a 'snaplen' gap. Such gaps are left out.
import { describe, expect, it } from 'vitest';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';
import { hasTshark, tsharkNote } from '../helpers/tshark.js';
import { compareFollow } from './helpers/followDiff.js';

const compare = (file: string) => compareFollow(file, captureLabel(file));

describe(`reassembled streams equal tshark's Follow TCP Stream on the fixtures${tsharkNote}`, () => {
  for (const file of fixtureCaptures()) {
    it.skipIf(!hasTshark)(captureLabel(file), async () => {
      const { streams, diffs } = await compare(file);
      expect(streams).toBeGreaterThan(0);
      expect(diffs.join('\n')).toBe('');
    });
  }
});

describe(`reassembled streams equal tshark's Follow TCP Stream on the public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}${tsharkNote}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) {
    it.skipIf(!hasTshark)(captureLabel(file), async () => {
      expect((await compare(file)).diffs.join('\n')).toBe('');
    });
  }
});
