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
	// For bytes below 0x80, adding 0x60 sets the high bit exactly when the
	// byte is >= 0x20; adding 0x01 sets it exactly when the byte is 0x7f.
	lo := w & ^uint64(highs)
	ge20 := (lo + 0x60*ones) & highs
	is7f := (lo + 0x01*ones) & highs
	return w&highs == 0 && ge20 == highs && is7f == 0
}

// inRange8 returns the high bit of each byte of w (all bytes < 0x80) set
// when the byte lies in [lo, hi].
func inRange8(w uint64, lo, hi byte) uint64 {
	geLo := (w + uint64(0x80-lo)*ones) & highs
	gtHi := (w + uint64(0x7f-hi)*ones) & highs
	return geLo &^ gtHi
}

// lowerHex8 reports whether all eight bytes of w are 0-9 or a-f.
func lowerHex8(w uint64) bool {
	if w&highs != 0 {
		return false
	}
	return inRange8(w, '0', '9')|inRange8(w, 'a', 'f') == highs
}

// lowerHex reports whether s is all lower-case hexadecimal digits.
func lowerHex(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if !lowerHex8(load64(s[i:])) {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// load64 reads the first eight bytes of s as a little-endian word; the
// compiler turns the pattern into one load.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
