package protoformat

// google.protobuf.Timestamp covers 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999999Z; its seconds count from the Unix epoch.
const (
	minSeconds = -62135596800
	maxSeconds = 253402300799
)

// parseTime converts an RFC 3339 timestamp, already checked by
// event.Validate, to seconds and nanoseconds since the Unix epoch. A leap
// second (:60) counts as the first second of the next minute, and fraction
// digits past the ninth are dropped. ok is false for text that is not of
// the validated shape and for an instant outside the Timestamp range.
func parseTime(s string) (sec int64, nanos int32, ok bool) {
	if len(s) < 20 {
		return 0, 0, false
	}
	n := func(i, w int) int {
		v := 0
		for _, c := range []byte(s[i : i+w]) {
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := n(0, 4), n(5, 2), n(8, 2)
	hh, mm, ss := n(11, 2), n(14, 2), n(17, 2)
	i := 19
	if s[i] == '.' {
		i++
		scale := int32(100000000)
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			nanos += int32(s[i]-'0') * scale
			scale /= 10
		}
	}
	offset := 0
	switch rest := s[i:]; {
	case rest == "Z" || rest == "z":
	case len(rest) == 6:
		offset = (n(i+1, 2)*60 + n(i+4, 2)) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, 0, false
	}
	sec = daysFromCivil(year, month, day)*86400 + int64(hh*3600+mm*60+ss-offset)
	if sec < minSeconds || sec > maxSeconds {
		return 0, 0, false
	}
	return sec, nanos, true
}

// appendTime appends sec and nanos as an RFC 3339 timestamp in UTC, with
// the fraction trimmed of trailing zeros (time.RFC3339Nano's form). The
// caller has checked the range.
func appendTime(dst []byte, sec int64, nanos int32) []byte {
	days := sec / 86400
	rem := int(sec % 86400)
	if rem < 0 {
		rem += 86400
		days--
	}
	y, m, d := civilFromDays(days)
	hh, mm, ss := rem/3600, rem/60%60, rem%60
	t := [30]byte{
		byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10), 'T',
		byte('0' + hh/10), byte('0' + hh%10), ':', byte('0' + mm/10), byte('0' + mm%10), ':',
		byte('0' + ss/10), byte('0' + ss%10),
	}
	n := 19
	if nanos > 0 {
		t[19] = '.'
		v := nanos
		for i := 28; i >= 20; i-- {
			t[i] = byte('0' + v%10)
			v /= 10
		}
		n = 29
		for t[n-1] == '0' {
			n--
		}
	}
	t[n] = 'Z'
	return append(dst, t[:n+1]...)
}

// daysFromCivil returns the days from 1970-01-01 to the proleptic
// Gregorian date y-m-d (the era-based method of H. Hinnant's date
// algorithms).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := int(z - era*146097)
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + int(era)*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}
