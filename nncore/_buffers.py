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

    def __delete__(self, instance):
        raise AttributeError(
            f"{self.name}: cannot be deleted; the compiled code works on this buffer in "
            f"place; assign new values of the same shape instead")


class ParameterList:
    """A fixed-length list of live parameter views (``MLP.coefs_``, ``intercepts_``).

    Reading gives the views the engine trains in place; assigning an item
    checks its shape and values and copies it in.
    """

    def __init__(self, name, views):
        self._name = name
        self._views = list(views)

    def __len__(self):
        return len(self._views)

    def __getitem__(self, index):
        return self._views[index]

    def __setitem__(self, index, value):
        if not isinstance(index, int):
            raise TypeError(f"{self._name}: got index {index!r}, expected an int")
        view = self._views[index]
        view[...] = check_assignment(f"{self._name}[{index}]", value, view)

    def __iter__(self):
        return iter(self._views)

    def __repr__(self):
        return f"{self._name}{self._views!r}"

    def assign(self, values):
        """Replace every item, all checked before any is copied in."""
        expected = f"expected a sequence of {len(self._views)} arrays"
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            kind = ValueError if isinstance(values, (str, bytes)) else TypeError
            raise kind(f"{self._name}: got {values!r}, {expected}")
        values = list(values)
        if len(values) != len(self._views):
            raise ValueError(f"{self._name}: got {values!r}, {expected}")
        checked = [check_assignment(f"{self._name}[{i}]", value, view)
                   for i, (value, view) in enumerate(zip(values, self._views))]
        for view, value in zip(self._views, checked):
            view[...] = value
