"""README.md has one writer per part: the text by hand, the benchmark tables by bench/readme_table.py between its markers; nbdev never writes it."""
import sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'bench'))
import readme_table as rt  # noqa: E402

def test_nbdev_does_not_render_the_readme():
    "nbdev_docs/nbdev_prepare skip README.md when `readme_nb` names no notebook."
    from nbdev.config import get_config
    cfg = get_config(path=ROOT)
    assert not (cfg.config_path/cfg.nbs_path/cfg.readme_nb).exists(), cfg.readme_nb
    from nbdev.quarto import _doc_mtime_not_older
    assert _doc_mtime_not_older(ROOT/'README.md', cfg.config_path/cfg.nbs_path/cfg.readme_nb)

def test_readme_table_replaces_only_its_block():
    text = f"# Title\nhand text\n{rt.START}\nold table\n{rt.END}\nmore hand text {rt.START[:4]}\n"
    out = rt.replace_block(text, '| new |')
    assert out == f"# Title\nhand text\n{rt.START}\n| new |\n{rt.END}\nmore hand text {rt.START[:4]}\n"
    assert rt.replace_block(out, '| new |') == out
    for bad in ("no markers", f"{rt.START} only", f"{rt.END}\n{rt.START}", f"{rt.START}{rt.END}{rt.START}{rt.END}"):
        with pytest.raises(SystemExit, match='exactly one'): rt.replace_block(bad, 'x')

def test_readme_has_one_bench_block():
    text = (ROOT/'README.md').read_text()
    assert text.count(rt.START) == 1 and text.count(rt.END) == 1
