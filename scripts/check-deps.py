#!/usr/bin/python3
"""Proves the install: every file the build and the tests used comes from a Debian
package that scripts/install-deps.sh installs, or from one of their Depends /
Pre-Depends (recursively), or from the base system every Debian machine has
(Essential and Priority: required packages).

A green CI on a machine where someone once installed a package by hand proves
nothing about a fresh one (that is how a missing ocl-icd-opencl-dev landed), so
this check ignores what happens to be installed and asks, for each file used,
whether a fresh machine would have it:

  - every header the compilers read (ninja's dependency log of each build dir),
  - every library the linkers were given (the link commands, -l resolved as the
    linker does) and every shared library the built programs load (ldd),
  - every file CMake's package configs resolved (the cache's FILEPATH entries and
    the CMake files the configure step read),
  - every tool the build and tests run (TOOLS below, the scripts' #! lines) and
    every Python module the repository's Python imports,
  - the web tests' node_modules, which must be exactly the committed lockfile.

Recommends do not count: install-deps.sh installs with --no-install-recommends.

  scripts/check-deps.py [--build DIR ...]   the whole check (make test runs it)
  scripts/check-deps.py npm DIR             only: DIR/node_modules == DIR/package-lock.json
"""
import argparse
import ast
import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Commands the Makefile, scripts/*.sh, tests/web/run.sh and the tests run by name
# (the shell built-ins and coreutils they use come with the Essential packages).
TOOLS = ["make", "cmake", "ctest", "ninja", "ccache", "pkg-config", "cc", "c++", "gcc", "g++",
         "clang", "clang++", "ld", "ar", "node", "npm", "chromium", "/usr/bin/python3",
         "bash", "sh", "cat", "sed", "seq", "mktemp", "tail", "sleep", "kill", "dpkg-query"]


class Package:
    def __init__(self, name):
        self.name = name
        self.essential = False
        self.priority = ""
        self.depends = []   # [[alternative, ...], ...] from Depends and Pre-Depends
        self.provides = []


def parse_relations(field):
    """'a (>= 1) | b:any, c' -> [['a', 'b'], ['c']]: names only, arch qualifiers dropped."""
    groups = []
    for group in field.split(","):
        alts = []
        for alt in group.split("|"):
            name = re.sub(r"\(.*?\)|\[.*?\]|<.*?>", "", alt).strip().split(":")[0]
            if name:
                alts.append(name)
        if alts:
            groups.append(alts)
    return groups


def parse_status(text):
    """The installed packages of a dpkg status file, by name."""
    pkgs = {}
    for stanza in text.split("\n\n"):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Package" not in fields or not fields.get("Status", "").endswith(" installed"):
            continue
        p = Package(fields["Package"])
        p.essential = fields.get("Essential") == "yes"
        p.priority = fields.get("Priority", "")
        p.depends = parse_relations(fields.get("Pre-Depends", "")) + parse_relations(fields.get("Depends", ""))
        p.provides = [alts[0] for alts in parse_relations(fields.get("Provides", ""))]
        pkgs.setdefault(p.name, p)
    return pkgs


def closure(pkgs, roots):
    """What a fresh machine has after installing roots: the roots, the base system and
    their dependencies, recursively. Returns {package: why} (why names the parent).

    An alternative or virtual dependency is satisfied by what the closure already has
    if it can; otherwise by the first alternative that is installed, which is the one
    apt would have picked. A provider that only a hand install brought is never used
    while a closure member can satisfy the group."""
    providers = {}
    for p in pkgs.values():
        for v in p.provides:
            providers.setdefault(v, []).append(p.name)
    for names in providers.values():
        names.sort()

    def candidates(alt):
        return ([alt] if alt in pkgs else []) + providers.get(alt, [])

    why = {}
    base = sorted(n for n, p in pkgs.items() if p.essential or p.priority == "required")
    queue = [(r, "scripts/install-deps.sh") for r in roots] + [(b, "the base system") for b in base]
    deferred = []
    while queue or deferred:
        if not queue:
            # Groups nothing in the closure satisfies: take the first installed choice.
            group, parent = deferred.pop(0)
            if any(c in why for a in group for c in candidates(a)):
                continue
            for a in group:
                if candidates(a):
                    queue.append((candidates(a)[0], parent))
                    break
            continue
        name, parent = queue.pop(0)
        for real in candidates(name)[:1]:
            if real in why:
                continue
            why[real] = parent
            for group in pkgs[real].depends:
                if any(c in why for a in group for c in candidates(a)):
                    continue
                if len(group) == 1 and len(candidates(group[0])) == 1:
                    queue.append((group[0], real))
                else:
                    deferred.append((group, real))
    return why


def canonical(path):
    """Debian 12 merged /usr: /lib/x.so and /usr/lib/x.so are one file, and dpkg
    records either spelling."""
    path = os.path.normpath(path)
    for top in ("/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin"):
        if path == top or path.startswith(top + "/"):
            return "/usr" + path
    return path


def file_index(info_dir):
    """{canonical path: {package, ...}} from dpkg's per-package file lists."""
    index = {}
    for entry in os.scandir(info_dir):
        if not entry.name.endswith(".list"):
            continue
        pkg = entry.name[: -len(".list")].split(":")[0]
        with open(entry.path, errors="replace") as f:
            for line in f:
                index.setdefault(canonical(line.rstrip("\n")), set()).add(pkg)
    return index


def symlink_chain(path):
    """The path, each link it passes through, and what it finally names."""
    chain, seen = [path], set()
    cur = path
    while os.path.islink(cur) and cur not in seen:
        seen.add(cur)
        target = os.readlink(cur)
        cur = os.path.normpath(os.path.join(os.path.dirname(cur), target))
        chain.append(cur)
    real = os.path.realpath(path)
    if real not in chain:
        chain.append(real)
    return chain


class Checker:
    def __init__(self, pkgs, index, roots, exempt):
        self.allowed = closure(pkgs, roots)
        self.index = index
        self.exempt = [os.path.realpath(e) for e in exempt]
        self.problems = {}   # path -> message (one per file)
        self.used = {}       # package -> count of files
        self.seen = set()

    def exempted(self, path):
        real = os.path.realpath(path)
        return any(real == e or real.startswith(e + "/") for e in self.exempt)

    def check(self, path, reason):
        """path: an absolute path, or the bare name of something that was not found."""
        if not path.startswith("/") or not os.path.lexists(path):
            self.problems[path] = f"{path} ({reason}) is not on this machine"
            return
        if path in self.seen or self.exempted(path) or path.startswith(("/proc/", "/dev/", "/sys/")):
            return
        self.seen.add(path)
        owned = False
        for hop in symlink_chain(path):
            owners = self.index.get(canonical(hop))
            if not owners:
                continue
            owned = True
            good = sorted(o for o in owners if o in self.allowed)
            if good:
                self.used[good[0]] = self.used.get(good[0], 0) + 1
                continue
            pkg = sorted(owners)[0]
            self.problems[path] = (
                f"{path} ({reason}) belongs to {pkg}, which scripts/install-deps.sh does not install, "
                f"nor any package it depends on: add the line `{pkg}` to its package list")
            return
        if not owned:
            self.problems[path] = (
                f"{path} ({reason}) belongs to no Debian package: a fresh machine does not have it; "
                f"install it through a package listed in scripts/install-deps.sh")


# ------------------------------------------------------------------ what was used

def ninja(build, *args):
    return subprocess.run(["ninja", "-C", str(build), "-t", *args], check=True,
                          capture_output=True, text=True).stdout


def headers(build):
    """Every file the compilers read, from ninja's dependency log."""
    target = None
    for line in ninja(build, "deps").splitlines():
        if line and not line[0].isspace():
            target = line.split(":")[0]
        elif line.strip():
            yield os.path.normpath(os.path.join(build, line.strip())), f"read compiling {target} in {build.name}"


def linked(build):
    """Libraries named on the link lines, with -lNAME resolved the way the linker does."""
    for cmd in ninja(build, "commands").splitlines():
        words = cmd.split()
        if "-o" not in words or not any(w.endswith(".o") for w in words) or " -c " in f" {cmd} ":
            continue
        out = words[words.index("-o") + 1]
        compiler = next((w for w in words if shutil.which(w) and "ccache" not in w and "cmake" not in w), "c++")
        search = tuple(w[2:] for w in words if w.startswith("-L"))
        for w in words:
            if w.startswith("/") and re.search(r"\.(a|so)(\.\d+)*$", w):
                yield w, f"linked into {out} in {build.name}"
            elif w.startswith("-l") and len(w) > 2:
                lib = resolve_l(w[2:], search, compiler)
                if lib:
                    yield lib, f"linked into {out} as {w} in {build.name}"


@functools.lru_cache(maxsize=None)
def resolve_l(name, search, compiler):
    for d in search:
        for ext in (".so", ".a"):
            p = os.path.join(d, f"lib{name}{ext}")
            if os.path.exists(p):
                return p
    for ext in (".so", ".a"):
        out = subprocess.run([compiler, f"-print-file-name=lib{name}{ext}"], capture_output=True, text=True).stdout.strip()
        if out.startswith("/") and os.path.exists(out):
            return out
    return None


def cmake_inputs(build):
    """The files CMake's configure step read and the files its cache resolved."""
    cache = build / "CMakeCache.txt"
    for line in cache.read_text(errors="replace").splitlines():
        m = re.match(r"([^:#/]+):FILEPATH=(/.*)$", line)
        if m and os.path.exists(m.group(2)):
            yield m.group(2), f"CMake cache {m.group(1)} in {build.name}"
    text = (build / "build.ninja").read_text(errors="replace")
    m = re.search(r"^build build\.ninja[^\n]*?:\s*RERUN_CMAKE(.*?)(?:\n\S|\n\n)", text, re.S | re.M)
    if m:
        for w in m.group(1).replace("$\n", " ").split():
            if w.startswith("/") and os.path.isfile(w):
                yield w, f"read by CMake configuring {build.name}"


def loaded(build):
    """Shared libraries the built programs load at run time."""
    for f in sorted(build.iterdir()):
        if not f.is_file() or not os.access(f, os.X_OK):
            continue
        with open(f, "rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(["ldd", str(f)], capture_output=True, text=True).stdout
        for m in re.finditer(r"=>\s*(/\S+)", out):
            yield m.group(1), f"loaded by {build.name}/{f.name}"


def tools(repo):
    for t in TOOLS:
        p = t if t.startswith("/") else shutil.which(t)
        yield p or t, f"the command `{t}` the build and tests run"
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    yield chromium, "the browser tests/web/page.test.mjs drives"
    for script in repo_files(repo, (".sh", ".py", ".mjs")):
        first = script.read_text(errors="replace").split("\n", 1)[0]
        if first.startswith("#!"):
            words = first[2:].split()
            if words:
                yield words[0], f"the #! interpreter of {script.relative_to(repo)}"
                if os.path.basename(words[0]) == "env" and len(words) > 1:
                    yield shutil.which(words[1]) or words[1], f"the #! interpreter of {script.relative_to(repo)}"


def repo_files(repo, suffixes):
    """The repository's own files (not git's view: a tarball or a copy has no .git),
    without build trees and installed packages."""
    found = []
    for root, dirs, files in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "build")) and d not in ("node_modules", "out"))
        found += [Path(root) / f for f in sorted(files) if f.endswith(suffixes)]
    return found


def python_modules(repo):
    """The top-level module of every import in the repository's Python, located as
    /usr/bin/python3 would find it (this script runs under it)."""
    seen = set()
    for script in repo_files(repo, (".py",)):
        try:
            tree = ast.parse(script.read_text(errors="replace"))
        except SyntaxError as e:
            sys.exit(f"check-deps: {script}: {e}")
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if (script.parent / f"{top}.py").exists() or (script.parent / top).is_dir() or top in seen:
                    continue
                seen.add(top)
                spec = importlib.util.find_spec(top)
                if spec is None:
                    yield top, f"Python module `{top}` imported by {script.relative_to(repo)}"
                elif spec.origin and spec.origin.startswith("/"):
                    yield spec.origin, f"Python module `{top}` imported by {script.relative_to(repo)}"


def npm_problems(web):
    """node_modules must hold exactly what the committed lockfile pins: nothing
    installed by hand, nothing missing, no other version."""
    lock = json.loads((web / "package-lock.json").read_text())["packages"]
    lock = {k: v for k, v in lock.items() if k}
    where = os.path.relpath(web, REPO) if web.is_relative_to(REPO) else str(web)
    problems = []
    for key, v in lock.items():
        if "integrity" not in v:
            problems.append(f"{where}/package-lock.json: {key} has no integrity hash")
    hidden = web / "node_modules" / ".package-lock.json"
    if not hidden.exists():
        return problems + [f"{where}/node_modules was not installed by npm ci from package-lock.json"]
    installed = {k: v for k, v in json.loads(hidden.read_text())["packages"].items() if k}
    present = set()
    for pj in (web / "node_modules").rglob("package.json"):
        rel = pj.parent.relative_to(web).as_posix()
        parts = rel.split("/")
        # node_modules/NAME or node_modules/@scope/NAME, possibly nested
        if parts[-2:-1] == ["node_modules"] or (len(parts) >= 3 and parts[-3] == "node_modules" and parts[-2].startswith("@")):
            present.add(rel)
    for key in sorted(present - set(lock)):
        problems.append(f"{where}/{key} is installed but not in package-lock.json (installed by hand?)")
    for key in sorted(set(lock) - present):
        if not lock[key].get("optional"):
            problems.append(f"{where}/{key} is in package-lock.json but not installed")
    for key in sorted(set(lock) & set(installed)):
        if lock[key].get("version") != installed[key].get("version") or lock[key].get("integrity") != installed[key].get("integrity"):
            problems.append(f"{where}/{key} is {installed[key].get('version')}, package-lock.json pins {lock[key].get('version')}")
    return problems


def install_deps_packages(repo):
    out = subprocess.run([str(repo / "scripts/install-deps.sh"), "--list"], check=True, capture_output=True, text=True)
    return out.stdout.split()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "npm":
        problems = npm_problems(Path(sys.argv[2]).resolve())
        for p in problems:
            print(f"check-deps: {p}", file=sys.stderr)
        sys.exit(1 if problems else 0)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", action="append", default=[], help="a build directory (repeatable)")
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    ap.add_argument("--status", default="/var/lib/dpkg/status")
    ap.add_argument("--info", default="/var/lib/dpkg/info")
    args = ap.parse_args()

    roots = install_deps_packages(REPO)
    pkgs = parse_status(Path(args.status).read_text(errors="replace"))
    builds = [Path(b).resolve() for b in args.build or ["build"]]
    checker = Checker(pkgs, file_index(args.info), roots, [REPO, args.shared, "/tmp", *builds])
    providers = {v: n for n, p in pkgs.items() for v in p.provides}
    missing_roots = [r for r in roots if r not in checker.allowed and providers.get(r) not in checker.allowed]
    for r in missing_roots:
        print(f"check-deps: scripts/install-deps.sh lists {r}, which is not installed", file=sys.stderr)

    sources = [tools(REPO), python_modules(REPO)]
    for b in builds:
        if not (b / "build.ninja").exists():
            sys.exit(f"check-deps: {b} is not a configured build directory")
        sources += [cmake_inputs(b), headers(b), linked(b), loaded(b)]
    for source in sources:
        for path, reason in source:
            checker.check(path, reason)

    problems = list(checker.problems.values()) + npm_problems(REPO / "tests/web")
    for p in problems:
        print(f"check-deps: {p}", file=sys.stderr)
    if problems or missing_roots:
        sys.exit(f"check-deps: {len(problems) + len(missing_roots)} problem(s): a fresh Debian 12 machine "
                 "would not build or test argus with scripts/install-deps.sh")
    print(f"check-deps: {len(checker.seen)} files used by {', '.join(b.name for b in builds)} and the tests, "
          f"from {len(checker.used)} packages, all installed by scripts/install-deps.sh or its dependencies; "
          "node_modules is the lockfile's")


if __name__ == "__main__":
    main()
