#include "textflag.h"

// STOPS sets R to the 16 stop bits of the bytes in X: a byte is a stop
// when it equals '"' (X8) or '\\' (X9), or when it is below 0x20 as a
// signed byte (X10 > X), which holds for controls and non-ASCII bytes.
#define STOPS(X, R) \
	MOVO    X, X4    \
	PCMPEQB X8, X4   \
	MOVO    X, X5    \
	PCMPEQB X9, X5   \
	MOVO    X10, X6  \
	PCMPGTB X, X6    \
	POR     X4, X6   \
	POR     X5, X6   \
	PMOVMSKB X6, R

// func stopBlocks(in []byte, stops []uint64)
TEXT ·stopBlocks(SB), NOSPLIT, $0-48
	MOVQ in_base+0(FP), SI
	MOVQ stops_base+24(FP), DX
	MOVQ stops_len+32(FP), CX
	// Never more blocks than in holds, whatever the caller passed.
	MOVQ in_len+8(FP), AX
	SHRQ $6, AX
	CMPQ AX, CX
	CMOVQLT AX, CX
	TESTQ CX, CX
	JZ   done
	MOVQ $0x2222222222222222, AX
	MOVQ AX, X8
	PUNPCKLQDQ X8, X8
	MOVQ $0x5c5c5c5c5c5c5c5c, AX
	MOVQ AX, X9
	PUNPCKLQDQ X9, X9
	MOVQ $0x2020202020202020, AX
	MOVQ AX, X10
	PUNPCKLQDQ X10, X10

loop:
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	STOPS(X0, AX)
	STOPS(X1, BX)
	STOPS(X2, R8)
	STOPS(X3, R9)
	SHLQ $16, BX
	ORQ  BX, AX
	SHLQ $32, R8
	ORQ  R8, AX
	SHLQ $48, R9
	ORQ  R9, AX
	MOVQ AX, 0(DX)
	ADDQ $64, SI
	ADDQ $8, DX
	DECQ CX
	JNZ  loop

done:
	RET
