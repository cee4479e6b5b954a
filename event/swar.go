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

// lowerHexMask returns the high bit of each byte of w set when the byte is
// 0-9 or a-f; w must have no high bit set (no byte carries then).
func lowerHexMask(w uint64) uint64 {
	digit := (w + (0x80-'0')*ones) &^ (w + (0x7f-'9')*ones)
	letter := (w + (0x80-'a')*ones) &^ (w + (0x7f-'f')*ones)
	return (digit | letter) & highs
}

// digitMask returns the high bit of each byte of w set when the byte is
// 0-9; w must have no high bit set (no byte carries then).
func digitMask(w uint64) uint64 {
	return (w + (0x80-'0')*ones) &^ (w + (0x7f-'9')*ones) & highs
}

// name8 reports whether all eight bytes of w are a-z or 0-9, the
// attribute name alphabet (CORE-NAMING-1).
func name8(w uint64) bool {
	letter := (w + (0x80-'a')*ones) &^ (w + (0x7f-'z')*ones)
	return w&highs == 0 && (letter|digitMask(w))&highs == highs
}

// hierTail8 reports whether all eight bytes of w are a-z, 0-9, '-', '.'
// or '/', the alphabet of plainHierURI's word-at-a-time path.
func hierTail8(w uint64) bool {
	letter := (w + (0x80-'a')*ones) &^ (w + (0x7f-'z')*ones)
	// '-', '.', '/' and 0-9 are the one range 0x2d..0x39.
	punctDigit := (w + (0x80-'-')*ones) &^ (w + (0x7f-'9')*ones)
	return w&highs == 0 && (letter|punctDigit)&highs == highs
}

func isLowerHex(c byte) bool { return c-'0' < 10 || c-'a' < 6 }

// load64At reads s[i:i+8] as a little-endian word; the compiler turns the
// pattern into one load, and slicing first leaves one bounds check.
func load64At(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
