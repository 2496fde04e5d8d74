"""scripts/check-deps.py on made-up machines: which files a fresh install would have.

The case that motivated the check is `ocl_icd_by_hand`: libdnnl-dev only *recommends*
ocl-icd-opencl-dev, someone installed it by hand, and the build used its library."""
import importlib.util
import json
import os
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("check_deps", HERE.parent.parent / "scripts/check-deps.py")
cd = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cd)

STATUS = """\
Package: libc6
Status: install ok installed
Priority: optional

Package: coreutils
Status: install ok installed
Essential: yes
Priority: required
Pre-Depends: libc6 (>= 2.34)

Package: libdnnl-dev
Status: install ok installed
Depends: libdnnl2 (= 2.6.3-1)
Recommends: ocl-icd-opencl-dev

Package: libdnnl2
Status: install ok installed
Depends: libc6 (>= 2.34), libgomp1:any

Package: libgomp1
Status: install ok installed

Package: ocl-icd-opencl-dev
Status: install ok installed
Depends: opencl-c-headers | opencl-headers, ocl-icd-libopencl1 (= 2.3.1-1)

Package: opencl-c-headers
Status: install ok installed

Package: ocl-icd-libopencl1
Status: install ok installed

Package: libopenblas0-openmp
Status: install ok installed
Provides: libblas.so.3, liblapack.so.3

Package: libblas3
Status: install ok installed
Provides: libblas.so.3

Package: libtorch2
Status: install ok installed
Depends: libblas3 | libblas.so.3, libc6

Package: nodejs
Status: install ok installed
Provides: nodejs-dev, npm

Package: removed-pkg
Status: deinstall ok config-files
"""


class Relations(unittest.TestCase):
    def test_versions_and_arch_qualifiers_are_dropped_and_alternatives_kept(self):
        self.assertEqual(cd.parse_relations("a (>= 1.0), b:any | c [amd64], d <!nocheck>"),
                         [["a"], ["b", "c"], ["d"]])

    def test_only_installed_packages_are_parsed(self):
        pkgs = cd.parse_status(STATUS)
        self.assertIn("libdnnl-dev", pkgs)
        self.assertNotIn("removed-pkg", pkgs)
        self.assertEqual(pkgs["coreutils"].depends, [["libc6"]])


class Closure(unittest.TestCase):
    def setUp(self):
        self.pkgs = cd.parse_status(STATUS)

    def test_depends_count_recursively_and_recommends_do_not(self):
        allowed = cd.closure(self.pkgs, ["libdnnl-dev"])
        self.assertIn("libdnnl2", allowed)
        self.assertIn("libgomp1", allowed)            # a Depends of a Depends, arch-qualified
        self.assertNotIn("ocl-icd-opencl-dev", allowed)  # only a Recommends, installed by hand
        self.assertNotIn("ocl-icd-libopencl1", allowed)

    def test_the_base_system_is_on_every_machine(self):
        allowed = cd.closure(self.pkgs, [])
        self.assertEqual(allowed["coreutils"], "the base system")
        self.assertIn("libc6", allowed)  # coreutils pre-depends on it

    def test_an_alternative_prefers_what_the_closure_already_has(self):
        # libblas3 (the first alternative) was installed by hand; openblas is listed.
        allowed = cd.closure(self.pkgs, ["libopenblas0-openmp", "libtorch2"])
        self.assertIn("libopenblas0-openmp", allowed)
        self.assertNotIn("libblas3", allowed)

    def test_an_unsatisfied_alternative_takes_the_first_installed_choice(self):
        allowed = cd.closure(self.pkgs, ["libtorch2"])
        self.assertIn("libblas3", allowed)

    def test_a_virtual_root_is_satisfied_by_its_provider(self):
        allowed = cd.closure(self.pkgs, ["npm"])
        self.assertIn("nodejs", allowed)


class Files(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        (self.root / "lib").mkdir()
        (self.root / "repo").mkdir()
        self.ocl = self.root / "lib/libOpenCL.so"
        self.dnnl = self.root / "lib/libdnnl.so.2"
        self.link = self.root / "lib/libdnnl.so"
        self.stray = self.root / "lib/stray.h"
        for f in (self.ocl, self.dnnl, self.stray):
            f.write_text("x")
        os.symlink(self.dnnl.name, self.link)
        self.index = {str(self.ocl): {"ocl-icd-opencl-dev"}, str(self.dnnl): {"libdnnl2"}}

    def tearDown(self):
        self.tmp.cleanup()

    def checker(self, roots):
        return cd.Checker(cd.parse_status(STATUS), self.index, roots, [str(self.root / "repo")])

    def test_ocl_icd_by_hand(self):
        c = self.checker(["libdnnl-dev"])
        c.check(str(self.ocl), "CMake cache OpenCL_LIBRARY")
        msg = c.problems[str(self.ocl)]
        self.assertIn(str(self.ocl), msg)
        self.assertIn("belongs to ocl-icd-opencl-dev", msg)
        self.assertIn("add the line `ocl-icd-opencl-dev`", msg)

    def test_listing_the_package_fixes_it(self):
        c = self.checker(["libdnnl-dev", "ocl-icd-opencl-dev"])
        c.check(str(self.ocl), "CMake cache OpenCL_LIBRARY")
        self.assertEqual(c.problems, {})

    def test_an_unowned_link_to_an_owned_file_is_judged_by_its_target(self):
        c = self.checker(["libdnnl-dev"])
        c.check(str(self.link), "linked")
        self.assertEqual(c.problems, {})
        c = self.checker([])
        c.check(str(self.link), "linked")
        self.assertIn("belongs to libdnnl2", c.problems[str(self.link)])

    def test_a_file_of_no_package_and_a_missing_tool_are_problems(self):
        c = self.checker(["libdnnl-dev"])
        c.check(str(self.stray), "read compiling x.o")
        c.check("chromium", "the browser")
        self.assertIn("belongs to no Debian package", c.problems[str(self.stray)])
        self.assertIn("is not on this machine", c.problems["chromium"])

    def test_the_project_own_files_are_exempt(self):
        own = self.root / "repo/gen.h"
        own.write_text("x")
        c = self.checker([])
        c.check(str(own), "read compiling x.o")
        self.assertEqual(c.problems, {})

    def test_merged_usr_spellings_are_one_file(self):
        self.assertEqual(cd.canonical("/lib/x86_64-linux-gnu/libc.so.6"), "/usr/lib/x86_64-linux-gnu/libc.so.6")
        self.assertEqual(cd.canonical("/usr/bin/../lib/x"), "/usr/lib/x")
        self.assertEqual(cd.canonical("/library/x"), "/library/x")


class Npm(unittest.TestCase):
    LOCK = {"lockfileVersion": 3, "packages": {
        "": {"name": "t"},
        "node_modules/a": {"version": "1.0.0", "integrity": "sha512-A"},
        "node_modules/@s/b": {"version": "2.0.0", "integrity": "sha512-B"},
    }}

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.web = Path(self.tmp.name)
        (self.web / "package-lock.json").write_text(json.dumps(self.LOCK))
        self.install(self.LOCK["packages"])

    def tearDown(self):
        self.tmp.cleanup()

    def install(self, packages):
        for key, v in packages.items():
            if key:
                (self.web / key).mkdir(parents=True, exist_ok=True)
                (self.web / key / "package.json").write_text(json.dumps({"version": v["version"]}))
        (self.web / "node_modules/.package-lock.json").write_text(json.dumps({"packages": packages}))

    def test_exactly_the_lockfile_passes(self):
        self.assertEqual(cd.npm_problems(self.web), [])

    def test_a_package_installed_by_hand_fails(self):
        extra = dict(self.LOCK["packages"], **{"node_modules/c": {"version": "3.0.0", "integrity": "sha512-C"}})
        self.install(extra)
        self.assertTrue(any("node_modules/c is installed but not in package-lock.json" in p
                            for p in cd.npm_problems(self.web)))

    def test_another_version_fails(self):
        other = dict(self.LOCK["packages"], **{"node_modules/a": {"version": "1.0.1", "integrity": "sha512-X"}})
        self.install(other)
        self.assertTrue(any("node_modules/a is 1.0.1, package-lock.json pins 1.0.0" in p
                            for p in cd.npm_problems(self.web)))

    def test_not_installed_by_npm_ci_fails(self):
        (self.web / "node_modules/.package-lock.json").unlink()
        self.assertTrue(any("was not installed by npm ci" in p for p in cd.npm_problems(self.web)))

    def test_a_lock_entry_without_integrity_fails(self):
        lock = json.loads(json.dumps(self.LOCK))
        del lock["packages"]["node_modules/a"]["integrity"]
        (self.web / "package-lock.json").write_text(json.dumps(lock))
        self.assertTrue(any("node_modules/a has no integrity hash" in p for p in cd.npm_problems(self.web)))


if __name__ == "__main__":
    unittest.main()
