"""Extracts (text, author-written summary) pairs from Debian documentation packages (see
jobs/fetch-dev-corpus), in two halves: papers (HOWTOs, PEPs, kernel documents, handbook chapters, release
notes: the long technical texts whose authors wrote an abstract) and documentation (manual pages rendered
as text, Markdown API guides). Keeps documents of at least --min-words words once the summary is removed."""
import argparse
import gzip
import html
import os
import pathlib
import re
import subprocess
import sys

PY = "usr/share/doc/python3.11/html/_sources"
HANDBOOK = "usr/share/doc/debian-handbook/html/en-US"
KERNEL = "usr/share/doc/linux-doc-6.1/Documentation"
GIT = "usr/share/doc/git-doc"
POSTGRES = "usr/share/doc/postgresql-doc-15/html"
DOCUTILS = "usr/share/doc/docutils-doc/docs"
NODE_API = "usr/share/doc/nodejs/api"
# Manual pages of large programs, as man renders them for a terminal. Their authors' own summary is the
# NAME line and the first paragraph of DESCRIPTION.
MAN_PAGES = ["man1/bash.1.gz", "man1/curl.1.gz", "man1/git-config.1.gz", "man1/git-log.1.gz", "man1/git-rebase.1.gz",
             "man1/wget.1.gz", "man1/tar.1.gz", "man1/find.1.gz", "man1/grep.1.gz", "man1/less.1.gz",
             "man1/dpkg.1.gz", "man1/ps.1.gz", "man1/ssh.1.gz", "man5/ssh_config.5.gz", "man5/systemd.exec.5.gz",
             "man5/systemd.unit.5.gz", "man8/apt-get.8.gz"]
# Node.js API guides: a title, then an introduction that says what the module is for.
NODE_GUIDES = ["assert", "buffer", "child_process", "crypto", "dns", "events", "fs", "http", "http2", "net",
               "process", "stream", "tls", "url", "util", "vm", "worker_threads"]


def rst_plain(text):
    """The words of reST inline markup: :role:`x <target>` -> x, ``code`` -> code."""
    text = re.sub(r":[\w:.-]+:`([^`<]*?)\s*<[^>]*>`", r"\1", text)
    text = re.sub(r":[\w:.-]+:`~?([^`]*)`", r"\1", text)
    text = re.sub(r"``([^`]*)``", r"\1", text)
    text = re.sub(r"`([^`<]*?)\s*<[^>]*>`_+", r"\1", text)
    text = re.sub(r"`([^`]*)`_*", r"\1", text)
    return text


def howto(path):
    """A HOWTO's '.. topic:: Abstract' block is the summary; the rest is the text."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"\.\. topic:: Abstract", line):
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or lines[j].startswith((" ", "\t"))):
                j += 1
            abstract = " ".join(l.strip() for l in lines[i + 1:j] if l.strip())
            return "\n".join(lines[:i] + lines[j:]), rst_plain(abstract)
    return None


def whatsnew(path):
    """A What's New page's 'Summary -- Release highlights' section (up to the next title) is the summary."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.lower().startswith("summary -- release highlights") and re.fullmatch(r"=+", lines[i + 1]):
            j = i + 2
            while j + 1 < len(lines) and not (lines[j].strip() and re.fullmatch(r"[=\-~^*]{3,}", lines[j + 1])):
                j += 1
            body = [l for l in lines[i + 2:j] if l.strip() and not l.startswith(("..", "   "))]
            bullets = "\n".join(body)
            body = [l for l in lines[i + 2:j] if l.strip() and not l.lstrip().startswith("..")]
            return "\n".join(lines[:i] + lines[j:]), rst_plain(" ".join(l.strip().lstrip("* ") for l in body))
    return None


def titled_summary(lines):
    """A section titled Abstract or Summary (underlined reST title, or a '.. topic::'/':Abstract:' block) within
    the first 80 lines: its paragraphs are the summary, the document without it is the text."""
    for i, line in enumerate(lines[:80]):
        title = line.strip().lower() in ("abstract", "summary") and i + 1 < len(lines) \
            and re.fullmatch(r"[=\-~^*]{3,}", lines[i + 1].strip())
        topic = re.match(r"\.\. topic:: (abstract|summary)\s*$|:abstract:", line.strip(), re.I)
        if not (title or topic):
            continue
        j = i + (2 if title else 1)
        while j < len(lines) and not (lines[j].strip() and j + 1 < len(lines)
                                      and re.fullmatch(r"[=\-~^*]{3,}", lines[j + 1].strip())):
            if topic and lines[j].strip() and not lines[j].startswith((" ", "\t")):
                break
            j += 1
        # A ':Abstract:' field may start on its own line; an overlined title leaves the next title's overline.
        first = [re.sub(r"(?i)^\s*:abstract:", "", line)] if line.strip().lower().startswith(":abstract:") else []
        summary = " ".join(l.strip() for l in first + lines[i + (2 if title else 1):j]
                           if l.strip() and not re.fullmatch(r"[=\-~^*]{3,}", l.strip()))
        return "\n".join(lines[:i] + lines[j:]), rst_plain(summary)
    return None


def git_howto(path):
    """A Git howto's mail-style header carries an 'Abstract:' field (continued on indented lines): that is the
    summary; the text is everything after the header."""
    lines = path.read_text(encoding="utf-8").splitlines()
    end = lines.index("") if "" in lines else 0
    header = lines[:end]
    for i, line in enumerate(header):
        if line.startswith("Abstract:"):
            j = i + 1
            while j < end and header[j].startswith((" ", "\t")):
                j += 1
            abstract = " ".join([line[len("Abstract:"):].strip()] + [l.strip() for l in header[i + 1:j]])
            return "\n".join(lines[end + 1:]), abstract
    return None


def html_text(fragment):
    """A DocBook HTML page as Markdown-like text: titles as '#' lines, list items as '- ', examples indented."""
    t = re.sub(r"(?s)<pre[^>]*>(.*?)</pre>",
               lambda m: "\n\n" + "\n".join("    " + l for l in html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).splitlines()) + "\n\n",
               fragment)
    t = re.sub(r"(?s)<h[1-6][^>]*>(.*?)</h[1-6]>", lambda m: "\n\n# " + re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m.group(1))).strip() + "\n\n", t)
    t = re.sub(r"<li[^>]*>", "\n\n- ", t)
    t = re.sub(r"</?(div|p|dt|dd|table|tr)[^>]*>", "\n\n", t)
    t = html.unescape(re.sub(r"<[^>]+>", "", t))
    out = []
    for block in re.split(r"\n\s*\n", t):
        if block.startswith("    "):
            out.append(block.rstrip())
        elif block.strip():
            out.append(re.sub(r"[ \t]*\n[ \t]*", " ", block.strip()))
    return "\n\n".join(out)


def page_body(page):
    s = page.find('<div xml:lang="en-US" class="')
    s = page.find(">", s) + 1 if s >= 0 else 0
    e = page.find('<ul class="docnav">')
    body = page[s:e if e > 0 else len(page)]
    body = re.sub(r'(?s)<div class="toc">.*?</div>\s*</div>|<div class="toc">.*?</div>', "", body)
    return body


def handbook_chapters(root):
    """Each chapter's opening paragraphs (before its first section) are its summary; its sections are the text."""
    index = (root / "index.html").read_text(encoding="utf-8")
    chapters = re.findall(r'class="chapter"><a href="([^"#]+)"', index)
    for k, name in enumerate(chapters):
        stop = chapters[k + 1] if k + 1 < len(chapters) else "index.html"
        page = (root / name).read_text(encoding="utf-8")
        body = page_body(page)
        first = body.find('<div class="section"')
        intro, rest = (body[:first], body[first:]) if first >= 0 else (body, "")
        parts = [html_text(rest)]
        nxt = re.search(r'<a accesskey="n" href="([^"#]+)"', page)
        seen = {name}
        while nxt and nxt.group(1) != stop and nxt.group(1) not in seen and nxt.group(1).startswith("sect."):
            seen.add(nxt.group(1))
            page = (root / nxt.group(1)).read_text(encoding="utf-8")
            parts.append(html_text(page_body(page)))
            nxt = re.search(r'<a accesskey="n" href="([^"#]+)"', page)
        title = re.search(r"(?s)<title[^>]*>(.*?)</title>", (root / name).read_text(encoding="utf-8")).group(1).strip()
        summary = " ".join(l for l in html_text(intro).splitlines() if l and not l.startswith("#"))
        yield "debian-handbook-" + name[:-5], "# " + html.unescape(title) + "\n\n" + "\n\n".join(parts), summary


def release_overview(path):
    """A PostgreSQL major release's notes open with an 'Overview' section listing the release's highlights (the
    counterpart of Python's 'Release highlights'): that is the summary, the other sections are the text."""
    page = path.read_text(encoding="utf-8")
    body = page[page.find('<div class="sect1"'):page.find('<div class="navfooter"')]
    body = re.sub(r'(?s)<div class="toc">.*?</dl></div>', "", body)
    # The source indents paragraphs (which would read as code) and wraps each list item in a paragraph.
    body = "".join(part if part.startswith("<pre") else re.sub(r"\s+", " ", part)
                   for part in re.split(r"(?s)(<pre.*?</pre>)", body))
    text = html_text(re.sub(r"<li([^>]*)>\s*<p[^>]*>", r"<li\1>", body))
    blocks = text.split("\n\n")
    for i, block in enumerate(blocks):
        if re.fullmatch(r"# [\w.]+ Overview", block):
            j = i + 1
            while j < len(blocks) and not blocks[j].startswith("# "):
                j += 1
            return "\n\n".join(blocks[:i] + blocks[j:]), " ".join(blocks[i + 1:j]).replace("- ", "")
    return None


def man_page(path):
    """A manual page rendered as text (man -P cat, 80 columns): the NAME line and the first DESCRIPTION
    paragraph are the summary; the rest, page headers and footers included, is the text."""
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    rendered = subprocess.run(["man", "-l", "-P", "cat", str(path)], capture_output=True, env=env, check=True).stdout
    lines = rendered.decode("utf-8", "replace").splitlines()

    def section(title):
        for i, line in enumerate(lines):
            if line.strip() == title and not line.startswith(" "):
                return i
        return None

    name, description = section("NAME"), section("DESCRIPTION")
    if name is None or description is None:
        return None
    j = name + 1
    while j < len(lines) and (not lines[j].strip() or lines[j].startswith(" ")):
        j += 1
    name_line = " ".join(l.strip() for l in lines[name + 1:j] if l.strip())
    k = description + 1
    while k < len(lines) and not lines[k].strip():
        k += 1
    end = k
    while end < len(lines) and lines[end].strip():
        end += 1
    first = " ".join(l.strip() for l in lines[k:end])
    # groff breaks words at line ends with U+2010; the summary reads them whole.
    first = re.sub("\u2010 ", "", first)
    summary = name_line.rstrip(".") + ". " + first
    text = lines[:name] + lines[j:k] + lines[end:]
    return "\n".join(text), summary


def markdown_plain(text):
    """The words of Markdown inline syntax: [text][ref] and [text](url) -> text, `code` -> code."""
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or m.group(2) or "", text)
    return re.sub(r"`([^`]*)`", r"\1", text)


def markdown_guide(path):
    """A Markdown guide (Debian gzips them): the first paragraph of prose under its title (after the
    comments and the stability note) is the summary; the rest is the text."""
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    if not lines or not lines[0].startswith("# "):
        return None
    i = 1
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith(("<!--", ">"))):
        i += 1
    j = i
    while j < len(lines) and lines[j].strip() and not lines[j].startswith(("#", "```")):
        j += 1
    if j == i:
        return None
    return "\n".join(lines[:i] + lines[j:]), markdown_plain(" ".join(l.strip() for l in lines[i:j]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--min-words", type=int, default=1500)
    a = p.parse_args()
    root, out = pathlib.Path(a.root), pathlib.Path(a.out)
    papers = []
    docs = papers
    for f in sorted((root / PY / "howto").glob("*.rst.txt")):
        pair = howto(f)
        if pair:
            docs.append(("python-howto-" + f.name[:-8],) + pair)
    for f in sorted((root / PY / "whatsnew").glob("*.rst.txt")):
        pair = whatsnew(f)
        if pair:
            docs.append(("python-whatsnew-" + f.name[:-8],) + pair)
    docs.extend(handbook_chapters(root / HANDBOOK))
    for f in sorted((root / GIT / "howto").glob("*.txt")):
        pair = git_howto(f)
        if pair:
            docs.append(("git-doc-howto-" + f.name[:-4],) + pair)
    for f in sorted((root / GIT).glob("*.txt")):
        pair = titled_summary(f.read_text(encoding="utf-8").splitlines())
        if pair:
            docs.append(("git-doc-" + f.name[:-4],) + pair)
    for f in sorted((root / DOCUTILS).rglob("*.txt")):
        pair = titled_summary(f.read_text(encoding="utf-8").splitlines())
        if pair:
            docs.append(("docutils-" + str(f.relative_to(root / DOCUTILS))[:-4].replace("/", "-"),) + pair)
    for f in sorted((root / POSTGRES).glob("release-[0-9]*.html")):
        pair = release_overview(f)
        if pair:
            docs.append(("postgresql-" + f.name[:-5],) + pair)
    for f in sorted((root / KERNEL).rglob("*.rst.gz")):
        pair = titled_summary(gzip.decompress(f.read_bytes()).decode("utf-8", "replace").splitlines())
        if pair:
            docs.append(("linux-" + str(f.relative_to(root / KERNEL))[:-7].replace("/", "-"),) + pair)
    documentation = []
    for page in MAN_PAGES:
        f = root / "usr/share/man" / page
        if f.exists():
            pair = man_page(f)
            if pair:
                documentation.append(("man-" + f.name[:-3],) + pair)
    for guide in NODE_GUIDES:
        f = root / NODE_API / (guide + ".md.gz")
        if f.exists():
            pair = markdown_guide(f)
            if pair:
                documentation.append(("nodejs-api-" + guide,) + pair)
    for half, pairs in (("papers", papers), ("documentation", documentation)):
        folder = out / half
        folder.mkdir(parents=True, exist_ok=True)
        kept = 0
        for name, text, summary in pairs:
            words = len(text.split())
            if words < a.min_words or len(summary.split()) < 15:
                print(f"skip {name}: {words} words, summary {len(summary.split())} words", file=sys.stderr)
                continue
            (folder / (name + ".txt")).write_text(text, encoding="utf-8")
            (folder / (name + ".abstract")).write_text(summary.strip() + "\n", encoding="utf-8")
            kept += 1
        print(f"dev corpus: {kept} documents in {folder}", file=sys.stderr)


if __name__ == "__main__":
    main()
