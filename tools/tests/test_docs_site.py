"""The docs site of tools/docs.sh renders, and shows what a module page and a role page must.

Headless Chromium (Debian's) takes a screenshot of the oar_queue module's page
and of the kamelot role's page; tesseract reads their text back from the PNG,
and the theme must be drawn (its dark navigation column), so that a blank
page, an error page or a page without its CSS fails. Chromium's DOM of the
pages is checked against the collection's sources. The check is itself
checked on a copy of the site without its CSS and on an empty page.

OAR3_DOCS_SITE names the site (tools/docs.sh sets it); without it the site is
built first with `tools/docs.sh --no-check`.
"""

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageStat

TOOLS = Path(__file__).resolve().parent.parent
REPO = TOOLS.parent
# Screenshots at twice the CSS pixel size: tesseract misreads the site's
# smaller text (code, table cells) at 1x.
SCALE = 2
WIDTH, HEIGHT = 1280, 2000
NAV_WIDTH = 300  # CSS pixels, sphinx_rtd_theme's navigation column


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if os.environ.get("OAR3_DOCS_SITE"):
        return Path(os.environ["OAR3_DOCS_SITE"])
    out = tmp_path_factory.mktemp("docs") / "site"
    subprocess.run(["bash", str(TOOLS / "docs.sh"), "--no-check", str(out)], check=True, timeout=600)
    return out


def chromium(tmp_path, page, *args):
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()  # a new, empty profile for every run
    cmd = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", *args, page.as_uri(),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"chromium failed on {page}: {result.stderr}"
    return result.stdout


def screenshot(tmp_path, page):
    png = tmp_path / (page.stem + ".png")
    chromium(tmp_path, page, f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}",
             f"--force-device-scale-factor={SCALE}")
    return png


def words(text):
    """Letters and digits only, lower case: OCR drops or changes underscores, dots and quotes."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def ocr(png):
    # Only the content: the theme's 300 px navigation column blanked, as with
    # many plugins listed there, tesseract mixes the two columns' lines.
    image = Image.open(png).convert("RGB")
    image.paste((255, 255, 255), (0, 0, NAV_WIDTH * SCALE, image.size[1]))
    content = png.with_name(png.stem + "-content.png")
    image.save(content)
    # One thread: on a busy 2-core machine tesseract's threads make it 5x slower.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    return words(subprocess.run(["tesseract", str(content), "-"], capture_output=True, text=True, env=env,
                                timeout=120, check=True).stdout)


def theme_drawn(png):
    """The theme's navigation column (left, dark) and the page's content (right, light) are there."""
    image = Image.open(png).convert("L")
    width, height = image.size

    # The median is the background's: a longer navigation (more plugins listed) adds light text, not light ground.
    def median(box):
        return ImageStat.Stat(image.crop(box)).median[0]

    nav = median((0, height // 4, width // 6, height * 9 // 10))
    content = median((width // 3, height // 4, width * 9 // 10, height * 9 // 10))
    return nav < 100 and content > 200, f"navigation column {nav:.0f}, content {content:.0f} (0 black, 255 white)"


def assert_in_order(text, expected, after=""):
    """Each of expected appears in text, in that order, after the first `after`."""
    start = text.find(words(after)) if after else 0
    assert start >= 0, f"{after!r} is not in the page's text: {text}"
    position = start
    for item in expected:
        found = text.find(words(item), position)
        assert found >= 0, f"{item!r} is not in the page's text after {after!r}: {text[start:]}"
        position = found + len(words(item))


def module_doc(name):
    source = (REPO / "plugins" / "modules" / f"{name}.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "DOCUMENTATION":
            return yaml.safe_load(node.value.value)
    raise AssertionError(f"no DOCUMENTATION in {name}")


def role_spec(name):
    return yaml.safe_load((REPO / "roles" / name / "meta" / "argument_specs.yml").read_text())["argument_specs"]


def test_module_page(site, tmp_path):
    doc = module_doc("oar_queue")
    page = site / "oar_queue_module.html"
    dom = chromium(tmp_path, page, "--dump-dom")
    assert f"oar.oar3.oar_queue module – {doc['short_description']}</h1>" in re.sub(r"<a class=\"headerlink\".*?</a>", "", dom)
    for option in doc["options"]:
        assert f'id="parameter-{option}"' in dom, option
    png = screenshot(tmp_path, page)
    drawn, why = theme_drawn(png)
    assert drawn, why
    text = ocr(png)
    assert_in_order(text, ["oar.oar3.oar_queue module", doc["short_description"], "Synopsis", "Parameters"])
    # The options the first 2000 pixels show, as the table lists them (sorted).
    # After the Parameters heading: tesseract does not read the table's white-on-blue header.
    shown = ["enabled", "force", "name", "priority", "queues"]
    assert shown == sorted(doc["options"])[:len(shown)]
    assert_in_order(text, shown, after="Parameters")


def test_role_page(site, tmp_path):
    spec = role_spec("kamelot")
    page = site / "kamelot_role.html"
    dom = chromium(tmp_path, page, "--dump-dom")
    assert "Entry point <code" in dom and '<span class="pre">main</span>' in dom
    for option in spec["main"]["options"]:
        assert f'id="parameter-main--{option}"' in dom, option
    png = screenshot(tmp_path, page)
    drawn, why = theme_drawn(png)
    assert drawn, why
    text = ocr(png)
    assert_in_order(text, ["oar.oar3.kamelot role", "Entry point main", spec["main"]["short_description"],
                           "Synopsis", "Parameters"])
    assert_in_order(text, sorted(spec["main"]["options"]), after="Parameters")


def test_playbooks_page(site, tmp_path):
    dom = chromium(tmp_path, site / "docsite" / "playbooks.html", "--dump-dom")
    for playbook in sorted((REPO / "playbooks").glob("*.yml")):
        assert f"oar.oar3.{playbook.stem}" in dom, playbook.name
    assert 'href="../kamelot_role.html' in dom
    # The collection's index page lists it.
    assert 'href="docsite/playbooks.html"' in chromium(tmp_path, site / "index.html", "--dump-dom")


def test_check_fails_without_css(site, tmp_path):
    broken = tmp_path / "site"
    shutil.copytree(site, broken)
    shutil.rmtree(broken / "_static" / "css")
    drawn, why = theme_drawn(screenshot(tmp_path, broken / "kamelot_role.html"))
    assert not drawn, why


def test_check_fails_on_empty_page(tmp_path):
    page = tmp_path / "empty.html"
    page.write_text("<!DOCTYPE html><html><head><title>x</title></head><body></body></html>\n")
    png = screenshot(tmp_path, page)
    assert not theme_drawn(png)[0]
    with pytest.raises(AssertionError):
        assert_in_order(ocr(png), ["oar.oar3.kamelot role"])
