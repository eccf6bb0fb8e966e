"""The glossary and the lesson map: enough rows, every row complete, every lesson a real notebook."""

from pathlib import Path

import pytest

from meta_course.lessons.glossary import (GLOSSARY, LESSONS, PENDING_LESSONS, glossary_markdown, lesson_map_markdown,
                                          terms)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_at_least_sixty_complete_rows_without_duplicates():
    assert len(GLOSSARY) >= 60
    for t in GLOSSARY:
        assert t.english.strip() and t.chinese.strip() and t.definition.strip(), t
        assert len(t.definition) <= 140, f"{t.english}: one line, please ({len(t.definition)} characters)"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in t.chinese) or t.chinese == t.english, t
    english = [t.english.lower() for t in GLOSSARY]
    assert len(english) == len(set(english)), sorted(e for e in english if english.count(e) > 1)


def test_terms_the_issue_asks_for_are_defined():
    chinese = {t.chinese for t in GLOSSARY}
    for word in ("元参数", "元任务", "元知识", "元训练", "元测试", "微调", "基于模型的元学习", "基于优化的元学习",
                 "基于度量的元学习", "基于记忆的元学习", "记忆增强神经网络", "神经图灵机", "可微神经计算机", "一阶近似",
                 "海森矩阵", "元梯度", "孪生网络", "零样本学习", "冷启动", "生成器", "判别器", "模式崩溃"):
        assert any(word in c for c in chinese), word
    english = {t.english for t in GLOSSARY}
    assert {"zero-shot learning", "meta-training", "meta-testing"} <= english


def test_every_lesson_exists_or_is_being_written():
    present = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    for stem in LESSONS:
        assert stem in present or stem in PENDING_LESSONS, f"lesson {stem} has no notebook {NOTEBOOKS / stem}.ipynb"
    for t in GLOSSARY:
        assert t.lesson in LESSONS, f"{t.english}: lesson {t.lesson!r} is not in the lesson map"
    # every notebook of the course is on the map
    assert present <= set(LESSONS), present - set(LESSONS)


def test_pending_lessons_are_the_lessons_being_written_only():
    assert set(PENDING_LESSONS) <= set(LESSONS)
    assert all(8 <= int(stem[:2]) <= 14 for stem in PENDING_LESSONS)



def test_markdown_tables():
    md = glossary_markdown()
    assert md.count("\n") == len(GLOSSARY) + 1
    assert "| 元学习 |" in md and "神经算法机" not in md
    one = glossary_markdown("16_applications_cold_start")
    assert "冷启动" in one and "元学习 " not in one
    assert lesson_map_markdown().count("\n") == len(LESSONS) + 1
    with pytest.raises(ValueError, match="not in the lesson map"):
        terms("99_nope")


def test_readme_lesson_table_and_the_lesson_map_agree():
    """One numbering: every README row names a lesson of the map, and every lesson notebook has a README row."""
    import re

    readme = (NOTEBOOKS.parent / "README.md").read_text()
    section = readme[readme.index("## Lessons"):]
    section = section[:section.index("\n## ", 1)]
    rows = set(re.findall(r"^\| `(\d\d_\w+)` \|", section, re.M))
    assert rows <= set(LESSONS), f"README rows not on lesson 00's map: {sorted(rows - set(LESSONS))}"
    present = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    assert present <= rows, f"lessons without a README row: {sorted(present - rows)}"
