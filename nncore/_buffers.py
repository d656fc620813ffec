"""Public array attributes backed by buffers the kernels write in place."""
from nncore._validation import check_assignment


class BufferAttribute:
    """Reading gives the buffer itself; assigning checks the new value and
    copies it in, so the buffer (and every pointer to it) stays put.

    Parameters
    ----------
    buffer_name : str
        The instance attribute that holds the buffer.
    """

    def __init__(self, buffer_name):
        self.buffer_name = buffer_name

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return getattr(instance, self.buffer_name)

    def __set__(self, instance, value):
        buffer = getattr(instance, self.buffer_name)
        buffer[...] = check_assignment(self.name, value, buffer)
