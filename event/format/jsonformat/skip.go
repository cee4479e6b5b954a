package jsonformat

import "math/bits"

// skipValue is the fast path of value: it checks the syntax of the JSON
// value starting at i (white space allowed before it) and returns the
// index after it, or ok=false on any problem, leaving the diagnosis to
// valueDetailed. It accepts exactly what valueDetailed accepts
// (TestSkipValueAgrees).
func skipValue(in []byte, i int) (end int, ok bool) {
	if end, ok := skipCommon(in, i); ok {
		return end, true
	}
	return skipGeneral(in, i)
}

// isHex marks the hex digits of a \u escape.
var isHex = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEF" {
		t[c] = true
	}
	return t
}()

// skipCommon is skipValue's first try, made for the data of almost every
// event: ASCII strings (escapes included), nesting up to 64 levels, and no
// string ending within the last eight bytes of the input. It calls
// nothing, so that its few variables stay in registers, and it is a state
// machine whose states are labels (a value, a member name, after a value),
// so that each step goes straight to the next. It returns ok=false for
// malformed input and for input beyond its reach alike; skipGeneral then
// decides.
func skipCommon(in []byte, i int) (end int, ok bool) {
	var (
		nest  uint64 // bit per open container, innermost lowest: 1 = object
		depth int
		name  bool // the string being scanned is a member name
		c     byte
		w, m  uint64
		t     int
	)

value: // A value at i, white space before it allowed.
	if i >= len(in) {
		return 0, false
	}
	c = in[i]
dispatch: // c is in[i]
	if c <= ' ' {
		for c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			if i++; i >= len(in) {
				return 0, false
			}
			c = in[i]
		}
	}
	switch c {
	case '"':
		i++
		name = false
		goto str
	case '{', '[':
		if depth == 64 {
			return 0, false
		}
		nest <<= 1
		if c == '{' {
			nest |= 1
		}
		depth++
		i++
		if i < len(in) && in[i] <= ' ' {
			i = skipWS(in, i)
		}
		if i < len(in) && (in[i] == '}' || in[i] == ']') {
			goto after // closes it, or refuses the wrong bracket
		}
		if c == '{' {
			goto key
		}
		goto value
	case 't':
		if i = literalEnd(in, i, "true"); i < 0 {
			return 0, false
		}
	case 'f':
		if i = literalEnd(in, i, "false"); i < 0 {
			return 0, false
		}
	case 'n':
		if i = literalEnd(in, i, "null"); i < 0 {
			return 0, false
		}
	default:
		// A number (RFC 8259 §6), as scanNumber reads it.
		if c == '-' {
			i++
		}
		if i >= len(in) || in[i]-'0' >= 10 {
			return 0, false
		}
		if in[i] == '0' {
			i++
		} else {
			i++
			for i < len(in) && in[i]-'0' < 10 {
				i++
			}
		}
		if i >= len(in) || in[i] != '.' && in[i]|0x20 != 'e' {
			goto after // an integer, the common case
		}
		if in[i] == '.' {
			if i++; i >= len(in) || in[i]-'0' >= 10 {
				return 0, false
			}
			i++
			for i < len(in) && in[i]-'0' < 10 {
				i++
			}
		}
		if i < len(in) && in[i]|0x20 == 'e' {
			if i++; i < len(in) && (in[i] == '+' || in[i] == '-') {
				i++
			}
			if i >= len(in) || in[i]-'0' >= 10 {
				return 0, false
			}
			i++
			for i < len(in) && in[i]-'0' < 10 {
				i++
			}
		}
	}
	goto after

key: // A member name at i, white space before it allowed.
	if i+9 > len(in) {
		return 0, false
	}
	if c = in[i]; c != '"' {
		if c > ' ' {
			return 0, false
		}
		if i = skipWS(in, i); i+9 > len(in) || in[i] != '"' {
			return 0, false
		}
	}
	// Most names end within the first word, a colon right after, and the
	// first byte of the value often in the same word.
	w = load64At(in, i+1)
	if m = firstSpecial(w); m != 0 {
		if t = bits.TrailingZeros64(m); byte(w>>(uint(t)-7)) == '"' {
			// The closing quote is byte t>>3 of w; the colon would be the
			// next, and the value's first byte the one after.
			if t < 48 && byte(w>>(uint(t)+1)) == ':' {
				i += t>>3 + 3
				c = byte(w >> (uint(t) + 9))
				goto dispatch
			}
			i += t>>3 + 2
			if i < len(in) && in[i] == ':' {
				i++
				goto value
			}
			goto colon
		}
	}
	i++
	name = true

str: // Inside a string: a word at a time to the first special byte.
	for {
		if i+8 > len(in) {
			return 0, false
		}
		w = load64At(in, i)
		if m = firstSpecial(w); m != 0 {
			break
		}
		i += 8
	}
	t = bits.TrailingZeros64(m)
	i += t >> 3
	switch byte(w >> (uint(t) - 7)) {
	case '"':
		i++
		if name {
			goto colon
		}
		goto after
	case '\\':
		if i+6 > len(in) {
			return 0, false
		}
		switch in[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if !isHex[in[i+2]] || !isHex[in[i+3]] || !isHex[in[i+4]] || !isHex[in[i+5]] {
				return 0, false
			}
			i += 6
		default:
			return 0, false
		}
		goto str
	}
	return 0, false // a control or non-ASCII byte: skipGeneral judges it

colon: // After a member name: white space, then its colon.
	if i < len(in) && in[i] <= ' ' {
		i = skipWS(in, i)
	}
	if i >= len(in) || in[i] != ':' {
		return 0, false
	}
	i++
	goto value

after: // After a value: close containers or go on to the next element.
	if depth == 0 {
		return i, true
	}
	if i >= len(in) {
		return 0, false
	}
	c = in[i]
	if c <= ' ' {
		if i = skipWS(in, i); i >= len(in) {
			return 0, false
		}
		c = in[i]
	}
	i++
	if c == ',' {
		if nest&1 != 0 {
			goto key
		}
		goto value
	}
	if c != '}' && c != ']' || (c == '}') != (nest&1 != 0) {
		return 0, false
	}
	nest >>= 1
	depth--
	goto after
}

// skipGeneral is skipValue for what skipCommon does not take. Strings
// (member names too) and plain numbers are taken a word at a time in the
// loop itself; escapes, non-ASCII bytes, rarer numbers and the last bytes
// of the input go to scanString and scanNumber, the checks valueDetailed
// uses too.
func skipGeneral(in []byte, i int) (end int, ok bool) {
	var stack [maxDepth/64 + 1]uint64 // bit per level: 1 = object
	depth := 0
	inObject := false // the innermost container is an object
	key := false      // at a member name, which a colon follows
	for {
		if i >= len(in) {
			return 0, false
		}
		c := in[i]
		if c <= ' ' {
			if i = skipWS(in, i); i >= len(in) {
				return 0, false
			}
			c = in[i]
		}
		if c == '"' {
			// A string, a word at a time to the first special byte: the
			// closing quote, or a byte for scanString to judge.
			i++
			for {
				if i+8 > len(in) {
					e, _ := scanString(in, i)
					if e < 0 {
						return 0, false
					}
					i = e + 1
					break
				}
				w := load64At(in, i)
				m := firstSpecial(w)
				if m == 0 {
					i += 8
					continue
				}
				t := bits.TrailingZeros64(m)
				if byte(w>>(uint(t)-7)) == '"' {
					i += t>>3 + 1
					break
				}
				// The bytes before the special one are plain, so the scan
				// can start at it.
				e, _ := scanString(in, i+t>>3)
				if e < 0 {
					return 0, false
				}
				i = e + 1
				break
			}
			if key {
				key = false
				if i >= len(in) || in[i] != ':' {
					if i = skipWS(in, i); i >= len(in) || in[i] != ':' {
						return 0, false
					}
				}
				i++
				continue
			}
		} else if key {
			return 0, false
		} else {
			switch c {
			case '{', '[':
				if depth >= maxDepth {
					return 0, false
				}
				inObject = c == '{'
				if inObject {
					stack[depth>>6] |= 1 << (depth & 63)
				} else {
					stack[depth>>6] &^= 1 << (depth & 63)
				}
				depth++
				i++
				if i < len(in) && in[i] <= ' ' {
					i = skipWS(in, i)
				}
				if i >= len(in) || in[i] != '}' && in[i] != ']' {
					key = inObject
					continue
				}
				// An empty container: the step below closes it, or refuses
				// the wrong bracket.
			case 't':
				if i = literalEnd(in, i, "true"); i < 0 {
					return 0, false
				}
			case 'f':
				if i = literalEnd(in, i, "false"); i < 0 {
					return 0, false
				}
			case 'n':
				if i = literalEnd(in, i, "null"); i < 0 {
					return 0, false
				}
			default:
				// The common numbers, such as 0, 12345 or 19.99: fewer
				// than eight digits more after the first, an optional
				// fraction of one to seven digits, and no exponent.
				// Anything else (a sign, an exponent, longer runs, the
				// end of the input near) takes scanNumber.
				if c-'0' < 10 && len(in)-i >= 18 {
					j := i + 1
					if c != '0' {
						j += leadingDigits(load64At(in, j))
					}
					d := in[j]
					if d == '.' {
						if f := leadingDigits(load64At(in, j+1)); uint(f-1) < 7 {
							j += 1 + f
							d = in[j]
						}
					}
					if d != '.' && d|0x20 != 'e' && d-'0' >= 10 {
						i = j
						break
					}
				}
				e, _ := scanNumber(in, i)
				if e < 0 {
					return 0, false
				}
				i = e
			}
		}
		// After a value: close containers or go on to the next element.
		for {
			if depth == 0 {
				return i, true
			}
			if i < len(in) && in[i] <= ' ' {
				i = skipWS(in, i)
			}
			if i >= len(in) {
				return 0, false
			}
			c := in[i]
			i++
			if c == ',' {
				key = inObject
				break
			}
			if c != '}' && c != ']' || (c == '}') != inObject {
				return 0, false
			}
			depth--
			if depth > 0 {
				inObject = stack[(depth-1)>>6]&(1<<((depth-1)&63)) != 0
			}
		}
	}
}

// literalEnd returns the index after word (true, false or null) if the
// input holds it at i, else -1.
func literalEnd(in []byte, i int, word string) int {
	if len(in)-i < len(word) || string(in[i:i+len(word)]) != word {
		return -1
	}
	return i + len(word)
}

// firstSpecial is specials for scans that need only the first special
// byte: its lowest set bit marks the first byte of w that is '"', '\\', a
// control byte (< 0x20) or non-ASCII (>= 0x80), and the bits above it may
// be wrong (a borrow runs on past a hit), which saves a few operations.
// No byte before the first special one borrows in any of the differences
// or has its high bit set, so none of them is marked (TestFirstSpecial).
func firstSpecial(w uint64) uint64 {
	quote := (w ^ '"'*ones) - ones
	backslash := (w ^ '\\'*ones) - ones
	control := w - ' '*ones
	return (quote | backslash | control | w) & highs
}

// leadingDigits returns how many of the eight bytes of w, from the first
// (lowest), are ASCII digits before the first byte that is not; 8 if all
// are.
func leadingDigits(w uint64) int {
	// On the low seven bits no sum carries into the next byte; the high
	// bit of w itself rules out bytes >= 0x80.
	t := w & (0x7f * ones)
	digit := (t + (0x80-'0')*ones) &^ (t + (0x7f-'9')*ones) &^ w & highs
	return bits.TrailingZeros64(^digit&highs) >> 3
}
