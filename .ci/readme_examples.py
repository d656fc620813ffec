"""Write the README's Python examples to FOLDER/readme_example_N.py (for mypy)."""
import pathlib
import re
import sys

readme = pathlib.Path(__file__).resolve().parent.parent / "README.md"
folder = pathlib.Path(sys.argv[1])
folder.mkdir(parents=True, exist_ok=True)
blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.S)
if not blocks:
    sys.exit(f"no Python examples found in {readme}")
for number, code in enumerate(blocks, 1):
    (folder / f"readme_example_{number}.py").write_text(code)
print(f"{len(blocks)} examples from {readme.name} in {folder}")
