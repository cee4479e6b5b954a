package event

// Word-at-a-time helpers for the hot lexical checks: eight bytes are
// tested with a handful of integer operations instead of eight branches.

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainASCII8 reports whether none of the eight bytes in w is a control
// character (< 0x20, 0x7f) or a non-ASCII byte (>= 0x80).
func plainASCII8(w uint64) bool {
	// When no byte has its high bit set (w itself is in the OR), no byte
	// carries into the next in either sum; then adding 0x01 sets a high bit
	// exactly for 0x7f, and adding 0x60 leaves it clear exactly for bytes
	// below 0x20.
	return (w|(w+ones)|^(w+0x60*ones))&highs == 0
}

// Byte-class masks: w + (0x80-x)*ones has a byte's high bit set exactly
// when the byte is >= x, provided no byte of w has its high bit set (no
// byte carries then). Of four ascending thresholds a <= b <= c <= d, an
// odd number are met exactly in [a, b) or [c, d), so three XORs test two
// ranges at once. (The expressions are written out rather than shared
// through a helper: nested inlining leaves a no-op mark per call in hot
// loops.)

// lowerHexMask returns the high bit of each byte of w set when the byte is
// 0-9 or a-f; w must have no high bit set.
func lowerHexMask(w uint64) uint64 {
	return ((w + (0x80-'0')*ones) ^ (w + (0x80-':')*ones) ^ (w + (0x80-'a')*ones) ^ (w + (0x80-'g')*ones)) & highs
}

// digitMask returns the high bit of each byte of w set when the byte is
// 0-9; w must have no high bit set.
func digitMask(w uint64) uint64 {
	return ((w + (0x80-'0')*ones) ^ (w + (0x80-':')*ones)) & highs
}

// name8 reports whether all eight bytes of w are a-z or 0-9, the
// attribute name alphabet (CORE-NAMING-1).
func name8(w uint64) bool {
	return w&highs == 0 &&
		((w+(0x80-'0')*ones)^(w+(0x80-':')*ones)^(w+(0x80-'a')*ones)^(w+(0x80-'{')*ones))&highs == highs
}

// hierTailMask returns the high bit of each byte of w set when the byte is
// a-z, 0-9, '-', '.' or '/'; w must have no high bit set.
func hierTailMask(w uint64) uint64 {
	// '-', '.', '/' and 0-9 are the one range 0x2d..0x39.
	return ((w + (0x80-'-')*ones) ^ (w + (0x80-':')*ones) ^ (w + (0x80-'a')*ones) ^ (w + (0x80-'{')*ones)) & highs
}

// load64At reads s[i:i+8] as a little-endian word; the compiler turns the
// pattern into one load, and slicing first leaves one bounds check.
func load64At(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// foldPrintable folds the words of s into two accumulators, so that the
// test of several strings for being non-empty printable ASCII (0x20..0x7e)
// ends in one test: they all pass exactly when, from bad = 0 and good =
// highs, bad gains no high bit and good loses none.
//
// Per byte, b+0x01 has its high bit set for b in 0x7f..0xfe, and b+0x60
// has it clear for b below 0x20 and for 0xff. Sums over a word carry only
// out of invalid bytes, and the lowest invalid byte of a word gets no
// carry, so it is always caught.
func foldPrintable(s string, bad, good uint64) (uint64, uint64) {
	n := len(s)
	if n < 8 {
		if n == 0 {
			return highs, good
		}
		for i := 0; i < n; i++ {
			if c := s[i]; c < 0x20 || c >= 0x7f {
				return highs, good
			}
		}
		return bad, good
	}
	// Words at 0 and n-8 cover up to 16 bytes, 8 and n-16 up to 32, 16
	// up to 40 (a UUID is 36); a loop takes the middle of longer strings.
	w0, w1 := load64At(s, 0), load64At(s, n-8)
	bad |= (w0 + ones) | (w1 + ones)
	good &= (w0 + 0x60*ones) & (w1 + 0x60*ones)
	if n > 16 {
		// s[n-16:] rather than an index: the compiler then sees the
		// word in bounds.
		w0, w1 := load64At(s, 8), load64At(s[n-16:], 0)
		bad |= (w0 + ones) | (w1 + ones)
		good &= (w0 + 0x60*ones) & (w1 + 0x60*ones)
		if n > 32 {
			w := load64At(s, 16)
			bad |= w + ones
			good &= w + 0x60*ones
			for i := 24; i < n-16; i += 8 {
				w := load64At(s, i)
				bad |= w + ones
				good &= w + 0x60*ones
			}
		}
	}
	return bad, good
}
