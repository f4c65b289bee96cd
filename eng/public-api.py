#!/usr/bin/env python3
"""Brings a project's PublicAPI.Unshipped.txt in line with its code.

Builds the project, adds every symbol the public API analyzer reports as undeclared (RS0016) and removes every
declared symbol it no longer finds (RS0017). Review the diff: it is the change to the public surface.
Usage: python3 eng/public-api.py src/Consortia.Federation [more projects]
"""
import re, subprocess, sys, os

for project in sys.argv[1:] or ["src/Consortia.Federation"]:
    unshipped = os.path.join(project, "PublicAPI.Unshipped.txt")
    for _ in range(3):  # a removal can reveal additions and the other way round
        out = subprocess.run(["dotnet", "build", project, "-nologo", "-v", "q"], capture_output=True, text=True).stdout
        add = set(re.findall(r"error RS0016: Symbol '(.*?)' is not part of the declared public API", out))
        remove = set(re.findall(r"error RS0017: Symbol '(.*?)' is part of the declared API", out))
        if not add and not remove:
            break
        lines = open(unshipped).read().splitlines()
        header = [l for l in lines if l.startswith("#")]
        body = {l for l in lines if l and not l.startswith("#")}
        body = (body - remove) | add
        open(unshipped, "w").write("\n".join(header + sorted(body, key=str.lower)) + "\n")
        print(f"{project}: +{len(add)} -{len(remove)}")
