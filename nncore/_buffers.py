"""Public array attributes backed by buffers the kernels write in place."""
from nncore._validation import check_assignment


class BufferAttribute:
    """Reading gives the buffer itself; assigning checks the new value and
    copies it in, so the buffer (and every pointer to it) stays put. The
    owner has an ``_in_use`` guard (``nncore._exclusive.Exclusive``).

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
        with instance._in_use:  # never while the compiled code works on it
            buffer = getattr(instance, self.buffer_name)
            buffer[...] = check_assignment(self.name, value, buffer)

    def __delete__(self, instance):
        raise AttributeError(
            f"{self.name}: cannot be deleted; the compiled code works on this buffer in "
            f"place; assign new values of the same shape instead")


class ComputedAttribute:
    """A buffer the forward pass fills: reading gives it (once ``ready_flag``,
    if given, is true); assigning or deleting raises AttributeError.

    Parameters
    ----------
    buffer_name : str
        The instance attribute that holds the buffer.
    ready_flag : str, optional
        An instance attribute that is true once the buffer holds values.
    """

    def __init__(self, buffer_name, ready_flag=None):
        self.buffer_name = buffer_name
        self.ready_flag = ready_flag

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        if self.ready_flag is not None and not getattr(instance, self.ready_flag):
            raise AttributeError(f"{self.name}: not computed yet; call feedforward() first")
        return getattr(instance, self.buffer_name)

    def __set__(self, instance, value):
        raise AttributeError(self._read_only("assigned"))

    def __delete__(self, instance):
        raise AttributeError(self._read_only("deleted"))

    def _read_only(self, action):
        return (f"{self.name}: cannot be {action}; it is read-only, computed by feedforward() and "
                "train(); assign input, y, weights1 or weights2 instead, or copy it "
                f"(nn.{self.name}.copy()) to keep or change a snapshot")


class ParameterList(list):
    """A fixed-length list of live parameter views (``MLP.coefs_``, ``intercepts_``).

    Reading gives the views the engine trains in place; assigning an item
    checks its shape and values and copies it in. It is a ``list`` (so
    ``coefs_ + intercepts_`` works, as scikit-learn's code expects), but one
    whose length and order are fixed; a copy of it is a plain list.
    Assignments run under ``guard``, the owning model's ``_in_use``.
    """

    def __init__(self, name, views, guard):
        super().__init__(views)
        self._name = name
        self._guard = guard

    def __setitem__(self, index, value):
        if not isinstance(index, int):
            raise TypeError(f"{self._name}: got index {index!r}, expected an int")
        with self._guard:
            view = list.__getitem__(self, index)
            view[...] = check_assignment(f"{self._name}[{index}]", value, view)

    def _fixed(self, *args, **kwargs):
        raise TypeError(f"{self._name}: has one array per layer, fixed when the network is made; "
                        "assign arrays to its items instead")

    append = extend = insert = pop = remove = clear = sort = reverse = _fixed
    __delitem__ = __iadd__ = __imul__ = _fixed

    def __reduce__(self):
        return list, (list(self),)

    def __repr__(self):
        return f"{self._name}{list(self)!r}"

    def assign(self, values):
        """Replace every item, all checked before any is copied in."""
        expected = f"expected a sequence of {len(self)} arrays"
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            kind = ValueError if isinstance(values, (str, bytes)) else TypeError
            raise kind(f"{self._name}: got {values!r}, {expected}")
        values = list(values)
        if len(values) != len(self):
            raise ValueError(f"{self._name}: got {values!r}, {expected}")
        with self._guard:
            checked = [check_assignment(f"{self._name}[{i}]", value, view)
                       for i, (value, view) in enumerate(zip(values, self))]
            for view, value in zip(self, checked):
                view[...] = value
