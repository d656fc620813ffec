COMPILE_ARGS: str
ACTIVATION_CODES: dict[str, int]
LOSS_CODES: dict[str, int]
ISA_NAMES: tuple[str, ...]
ISA_SUPPORTED: tuple[str, ...]

def isa_in_use() -> str: ...
