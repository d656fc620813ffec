COMPILE_ARGS: str
ACTIVATION_CODES: dict[str, int]
LOSS_CODES: dict[str, int]
