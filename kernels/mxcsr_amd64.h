// The floating-point control register around an assembly kernel.
//
// FLUSHDENORMALS saves the caller's MXCSR at 0(SP) (the kernel's frame must
// be at least 8 bytes) and sets its flush-to-zero (bit 15) and
// denormals-are-zero (bit 6) bits, so that a denormal operand counts as a
// zero of its sign and a result below 2^-126 becomes one: on x86 either
// would otherwise cost a microcode assist of about a hundred cycles per
// instruction. RESTOREMXCSR puts the caller's MXCSR back; every return path
// of the kernel must pass through it. FLUSHDENORMALS uses AX.

#define FLUSHDENORMALS \
	STMXCSR 0(SP);       \
	MOVL    0(SP), AX;   \
	ORL     $0x8040, AX; \
	MOVL    AX, 4(SP);   \
	LDMXCSR 4(SP)

#define RESTOREMXCSR \
	LDMXCSR 0(SP)
