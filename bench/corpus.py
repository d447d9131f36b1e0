"""Builds the nightly job's benchmark corpus from Debian documentation packages (see jobs/fetch-corpus): one
text file per real document, Markdown-like text for HTML sources, reStructuredText kept as .rst. Documents
under --min-chars characters are left out. Prints the count, the size and the longest documents.

Sources: the Linux kernel's Documentation (linux-doc-6.1: .rst, .txt and the ABI files), the Python 3.11 manuals (the
python3.11-doc Info file, one document per manual: the Library Reference alone has over 16,384
sentences, so the ring runs inside the night), the GNU Octave manual (octave-doc's Info files, one
document per chapter), Perl's pods (perl-doc, rendered by pod2text), the PostgreSQL 15 and Django 3.2
HTML manuals (one document per page), Git's manual pages and howtos (git-doc), the Debian Administrator's
Handbook (one document per chapter), the Debian Policy and Developer's Reference and the GNU coding and
maintainer standards (Info, one document per chapter), the Java 17 API documentation of java.base (one
document per class, openjdk-17-doc), Node.js's API reference (Markdown), the Rust books
(mdBook HTML, one document per page), Docutils' documentation, and the man pages of manpages,
manpages-dev and perl-doc's modules (rendered by groff)."""
import argparse
import gzip
import hashlib
import html
import pathlib
import random
import re
import shutil
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import dev_corpus  # noqa: E402  (the same packages' HTML and handbook readers)

DOC = "usr/share/doc"
INFO = "usr/share/info"
MAN = "usr/share/man"


def info_manuals(paths, prefix):
    """An Info manual (its files in order) as one document per top-level node (Up: Top) with every node after it
    up to the next top-level one; node headers and menus are dropped, index nodes left out."""
    text = "".join(gzip.decompress(p.read_bytes()).decode("utf-8", "replace") for p in paths)
    manual, title, parts = None, None, []
    for node in text.split("\x1f\n"):
        head, _, body = node.partition("\n")
        m = re.match(r"File: [^,]+,\s+Node: ([^,\n]+)(?:,.*Up: ([^,\n]+))?", head)
        if not m:
            continue
        name, up = m.group(1).strip(), (m.group(2) or "").strip()
        if up == "Top":
            if manual:
                yield manual, title, "\n".join(parts)
            manual, title, parts = prefix + slug(name), name, []
        if manual is None or "index" in name.lower().split():
            continue
        lines = [l for l in body.splitlines() if not re.match(r"\* (Menu:|[^:]+::|[^:]+: [^.]+\.)", l)]
        parts.append("\n".join(lines))
    if manual:
        yield manual, title, "\n".join(parts)


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def html_pages(root, prefix, body):
    """Every page under root (indexes and search pages left out) as Markdown-like text of its body."""
    for page in sorted(root.rglob("*.html")):
        rel = page.relative_to(root)
        if rel.parts[0].startswith("_") or rel.stem in ("genindex", "search", "py-modindex", "bookindex"):
            continue
        text = dev_corpus.html_text(body(page.read_text(encoding="utf-8", errors="replace")))
        yield prefix + slug(str(rel.with_suffix(""))), text


def postgres_body(page):
    page = page[page.find("<body"):]
    page = re.sub(r'(?s)<div class="navheader">.*?</div>', "", page)
    return page[:page.find('<div class="navfooter"')] if '<div class="navfooter"' in page else page


def django_body(page):
    start = page.find('<div class="section"')
    end = page.find('<div class="yui-b" id="sidebar"')
    return page[start:end if end > start else len(page)] if start >= 0 else ""


def rust_body(page):
    start = page.find("<main>")
    return page[start:page.find("</main>")] if start >= 0 else ""


def rendered(cmd, data=None):
    out = subprocess.run(cmd, input=data, capture_output=True, check=False).stdout
    return out.decode("utf-8", "replace")


def documents(root):
    """(name with its extension, text) of every document of every source."""
    kernel = root / DOC / "linux-doc-6.1" / "Documentation"
    for f in sorted(kernel.rglob("*.gz")):
        rel = str(f.relative_to(kernel))[:-3]
        ext = rel.rsplit(".", 1)[-1] if "." in f.name[:-3] else ""
        # The ABI files (What:/Description: entries of one interface each) have no extension.
        if ext in ("rst", "txt") or (not ext and rel.startswith("ABI/")):
            name = "linux-" + (rel[:-len(ext) - 1] if ext else rel).replace("/", "-")
            yield name + "." + (ext or "txt"), gzip.decompress(f.read_bytes()).decode("utf-8", "replace")
    for name, title, text in info_manuals([root / INFO / "python3.11.info.gz"], "python-manual-"):
        yield name + ".txt", title + "\n" + "=" * len(title) + "\n\n" + text
    octave = sorted((root / INFO).glob("octave.info-*.gz"), key=lambda p: int(re.search(r"-(\d+)\.gz$", p.name).group(1)))
    for name, title, text in info_manuals(octave, "octave-manual-"):
        yield name + ".txt", title + "\n" + "=" * len(title) + "\n\n" + text
    for info, prefix in (("debian-policy", "debian-policy-"), ("developers-reference", "debian-developers-reference-"),
                         ("maintain", "gnu-maintainers-"), ("standards", "gnu-coding-standards-"),
                         ("liboctave", "liboctave-")):
        for name, title, text in info_manuals([root / INFO / (info + ".info.gz")], prefix):
            yield name + ".txt", title + "\n" + "=" * len(title) + "\n\n" + text
    for f in sorted((root / "usr/share/perl").rglob("*.pod")):
        yield "perl-" + f.stem + ".txt", rendered(["pod2text", str(f)])
    for name, text in html_pages(root / DOC / "postgresql-doc-15" / "html", "postgresql-", postgres_body):
        yield name + ".md", text
    for name, text in html_pages(root / DOC / "python-django-doc" / "html", "django-", django_body):
        yield name + ".md", text
    javadoc = root / DOC / "openjdk-17-jre-headless" / "api" / "java.base"
    for page in sorted(javadoc.rglob("*.html")):
        rel = page.relative_to(javadoc)
        # A class's page; package summaries and trees are lists, class-use pages lists of references.
        if "class-use" not in rel.parts and not rel.name.startswith(("package-", "module-")):
            body = re.search(r'(?s)<main role="main">(.*)</main>', page.read_text(encoding="utf-8", errors="replace"))
            yield "openjdk-17-" + str(rel.with_suffix("")).replace("/", ".") + ".md", dev_corpus.html_text(body.group(1) if body else "")
    for f in sorted((root / DOC / "nodejs" / "api").glob("*.md.gz")):
        yield "nodejs-" + f.name[:-6] + ".md", gzip.decompress(f.read_bytes()).decode("utf-8", "replace")
    rust = root / DOC / "rust-doc" / "html"
    for book in ("book", "reference", "nomicon", "rust-by-example", "rustc", "edition-guide", "embedded-book"):
        # mdBook pages; print.html repeats the whole book on one page.
        for name, text in html_pages(rust / book, "rust-" + book + "-", rust_body):
            if not name.endswith("-print"):
                yield name + ".md", text
    git = root / DOC / "git-doc"
    for f in sorted(git.rglob("*.txt")):
        yield "git-" + str(f.relative_to(git))[:-4].replace("/", "-") + ".txt", f.read_text(encoding="utf-8", errors="replace")
    for name, text, _ in dev_corpus.handbook_chapters(root / dev_corpus.HANDBOOK):
        yield name + ".md", text
    docutils = root / dev_corpus.DOCUTILS
    for f in sorted(docutils.rglob("*.txt")):
        yield "docutils-" + str(f.relative_to(docutils))[:-4].replace("/", "-") + ".rst", f.read_text(encoding="utf-8", errors="replace")
    for f in sorted((root / MAN).glob("man*/*.gz")):
        source = gzip.decompress(f.read_bytes())
        # perl-doc's perl*(1) pages are its pods again, read above.
        if source.startswith(b".so ") or (f.parent.name == "man1" and f.name.startswith("perl")):
            continue
        page = rendered(["groff", "-man", "-Tutf8", "-P", "-c"], source)
        yield "man-" + f.name[:-3] + ".txt", rendered(["col", "-bx"], page.encode("utf-8"))


def write_sample(out, sizes, n, min_chars, max_chars, seed):
    """A seeded sample of n of the corpus's documents of min_chars to max_chars bytes, copied to OUT-sample-N."""
    sample = pathlib.Path(f"{out}-sample-{n}")
    if sample.exists():
        shutil.rmtree(sample)
    sample.mkdir()
    eligible = sorted(name for name in sizes if min_chars <= sizes[name] <= max_chars)
    chosen = random.Random(seed).sample(eligible, min(n, len(eligible)))
    for name in chosen:
        shutil.copy(out / name, sample / name)
    print(f"sample: {len(chosen)} documents, {sum(sizes[c] for c in chosen) / 1e6:.1f} MB in {sample}", file=sys.stderr)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", help="where the packages were unpacked; without it, only --sample, from the corpus in --out")
    p.add_argument("--out", required=True)
    p.add_argument("--min-chars", type=int, default=2000)
    p.add_argument("--sample", type=int, default=0,
                   help="also write a seeded sample of this many documents to OUT-sample-N, of --sample-min-chars"
                        " to --sample-max-chars each")
    p.add_argument("--sample-min-chars", type=int, default=0)
    p.add_argument("--sample-max-chars", type=int, default=2_000_000)
    p.add_argument("--seed", type=int, default=20)
    a = p.parse_args()
    out = pathlib.Path(a.out)
    if a.root is None:
        if not out.is_dir() or not a.sample:
            sys.exit(f"error: without --root, --out {out} must be a corpus built before and --sample a count")
        sizes = {f.name: f.stat().st_size for f in out.iterdir()}
        write_sample(out, sizes, a.sample, a.sample_min_chars, a.sample_max_chars, a.seed)
        return
    root = pathlib.Path(a.root)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    sizes, seen = {}, set()
    for name, text in documents(root):
        text = html.unescape(text) if name.endswith(".md") else text
        # Some pages are installed twice under two names (proc(5) and procfs(5)): one document, kept once.
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        if len(text) < a.min_chars or name in sizes or digest in seen:
            continue
        seen.add(digest)
        (out / name).write_text(text, encoding="utf-8")
        sizes[name] = len(text.encode("utf-8"))
    total = sum(sizes.values())
    print(f"corpus: {len(sizes)} documents, {total / 1e6:.1f} MB in {out}", file=sys.stderr)
    for name in sorted(sizes, key=sizes.get, reverse=True)[:8]:
        sentences = len(re.findall(r"[.!?:](\s|$)", (out / name).read_text(encoding="utf-8")))
        print(f"  {name}: {sizes[name] / 1e6:.1f} MB, about {sentences:,} sentence ends", file=sys.stderr)
    if a.sample:
        write_sample(out, sizes, a.sample, a.sample_min_chars, a.sample_max_chars, a.seed)


if __name__ == "__main__":
    main()
