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

// ARGS loads in's base into SI, stops' base into DX, and into CX the
// number of blocks to do: len(stops), but never more than in holds,
// whatever the caller passed. It sets the flags for JZ on CX.
#define ARGS \
	MOVQ in_base+0(FP), SI     \
	MOVQ stops_base+24(FP), DX \
	MOVQ stops_len+32(FP), CX  \
	MOVQ in_len+8(FP), AX      \
	SHRQ $6, AX                \
	CMPQ AX, CX                \
	CMOVQLT AX, CX             \
	TESTQ CX, CX

// func stopBlocksSSE2(in []byte, stops []uint64)
TEXT ·stopBlocksSSE2(SB), NOSPLIT, $0-48
	ARGS
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

// STOPS32 sets R to the 32 stop bits of the bytes in Y, as STOPS does.
#define STOPS32(Y, R) \
	VPCMPEQB  Y8, Y, Y4   \
	VPCMPEQB  Y9, Y, Y5   \
	VPCMPGTB  Y, Y10, Y6  \
	VPOR      Y4, Y5, Y5  \
	VPOR      Y5, Y6, Y6  \
	VPMOVMSKB Y6, R

// func stopBlocksAVX2(in []byte, stops []uint64)
TEXT ·stopBlocksAVX2(SB), NOSPLIT, $0-48
	ARGS
	JZ   done2
	MOVQ $0x2222222222222222, AX
	MOVQ AX, X8
	VPBROADCASTQ X8, Y8
	MOVQ $0x5c5c5c5c5c5c5c5c, AX
	MOVQ AX, X9
	VPBROADCASTQ X9, Y9
	MOVQ $0x2020202020202020, AX
	MOVQ AX, X10
	VPBROADCASTQ X10, Y10

loop2:
	VMOVDQU 0(SI), Y0
	VMOVDQU 32(SI), Y1
	STOPS32(Y0, AX)
	STOPS32(Y1, BX)
	SHLQ $32, BX
	ORQ  BX, AX
	MOVQ AX, 0(DX)
	ADDQ $64, SI
	ADDQ $8, DX
	DECQ CX
	JNZ  loop2
	VZEROUPPER

done2:
	RET
