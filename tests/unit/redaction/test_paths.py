"""Paths: user segments become tokens, documents outside code locations become [file].ext, frames stay readable."""

from __future__ import annotations

import pytest

from redact import Redactor

R = Redactor()

CASES = [
    # DESIGN.md's two examples
    ("/Users/alice/.venv/lib/python3.11/site-packages/httpx/_client.py",
     "~/.venv/lib/python3.11/site-packages/httpx/_client.py"),
    (r"C:\Users\Bob Smith\Documents\taxes 2025.pdf", r"C:\Users\[user]\Documents\[file].pdf"),
    # Linux, WSL, Git Bash, file URLs, macOS temp, JSON-escaped, UNC, forward-slash Windows
    ("/home/alice/projects/app/main.py", "~/projects/app/main.py"),
    ("/home/alice/Documents/letter to landlord.docx", "~/Documents/[file].docx"),
    ("/mnt/c/Users/alice/Desktop/notes.txt", "/mnt/c/Users/[user]/Desktop/[file].txt"),
    ("/c/Users/alice/repo/src/index.ts", "/c/Users/[user]/repo/src/index.ts"),
    ("file:///Users/alice/Downloads/scan.png", "file:///Users/[user]/Downloads/[file].png"),
    ("file:///C:/Users/Bob%20Smith/Desktop/x.csv", "file:///C:/Users/[user]/Desktop/[file].csv"),
    ("/var/folders/x8/n3b7q2kd1s_9f0w/T/tmpa1b2.pdf", "/var/folders/[user]/T/[file].pdf"),
    ("/private/var/folders/x8/n3b7q2kd1s_9f0w/T/app.log", "/private/var/folders/[user]/T/app.log"),
    (r"C:\\Users\\bob\\AppData\\Local\\Temp\\report.xlsx", r"C:\\Users\\[user]\\AppData\\Local\\Temp\\[file].xlsx"),
    (r"\\fileserver\home$\bob\plan.docx", r"\\[host]\home$\[user]\[file].docx"),  # the server is a machine
    ("C:/Users/bob/AppData/Roaming/app/config.json", "C:/Users/[user]/AppData/Roaming/app/config.json"),
    (r"C:\Documents and Settings\bob\My Documents\cv.doc", r"C:\Documents and Settings\[user]\My Documents\[file].doc"),
    # code locations keep everything but the user
    (r"C:\Users\bob\AppData\Local\Programs\Python\Python311\Lib\site-packages\numpy\core\a.pdf",
     r"C:\Users\[user]\AppData\Local\Programs\Python\Python311\Lib\site-packages\numpy\core\a.pdf"),
    ("/Users/alice/Library/App/node_modules/pdfjs/web/sample.pdf", "~/Library/App/node_modules/pdfjs/web/sample.pdf"),
    ("/Users/bob/.cargo/registry/src/index.crates.io-6f17d22bba15001f/tokio-1.37.0/src/runtime/mod.rs",
     "~/.cargo/registry/src/index.crates.io-6f17d22bba15001f/tokio-1.37.0/src/runtime/mod.rs"),
    # non-home paths: only document names go
    ("/tmp/export final.pdf", "/tmp/[file].pdf"),
    (r"D:\Finance\2025\Q1 budget.xlsx", r"D:\Finance\2025\[file].xlsx"),
    ("~/Desktop/passport scan.jpg", "~/Desktop/[file].jpg"),
    # in prose and frames
    ('File "/Users/alice/app/main.py", line 12, in <module>', 'File "~/app/main.py", line 12, in <module>'),
    ("at Object.<anonymous> (/home/bob/srv/index.js:10:5)", "at Object.<anonymous> (~/srv/index.js:10:5)"),
    ("cannot open /home/alice/notes.md: permission denied", "cannot open ~/[file].md: permission denied"),
    ("saved /Users/alice/a.txt and /Users/bob/b.txt", "saved ~/[file].txt and ~/[file].txt"),
    ("open 'Q3 board deck.pptx' failed", "open '[file].pptx' failed"),
    ("taxes 2025.pdf", "[file].pdf"),
]

KEPT = [
    "/usr/lib/python3.11/json/decoder.py",
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    r"C:\Program Files\Consentry\app.exe",
    r"C:\Windows\System32\ntdll.dll",
    "/Applications/Consentry.app/Contents/MacOS/Consentry",
    "/opt/homebrew/Cellar/python@3.11/3.11.7/lib/python3.11/asyncio/base_events.py",
    "/Users/Shared/Consentry/app.log",
    "/api/v1/users/me",
    "README.md",
    "requirements.txt",
    "and/or",
    "src/main.rs:42:7",
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_paths_are_redacted(text, expected):
    assert R.redact_text(text, field="stacktrace").value == expected


@pytest.mark.parametrize("text", KEPT)
def test_code_and_system_paths_are_kept(text):
    out = R.redact_text(text, field="stacktrace")
    assert (out.value, out.findings) == (text, {})


def test_findings_count_user_and_file_separately():
    out = R.redact_text(r"C:\Users\Bob Smith\Documents\taxes 2025.pdf")
    assert out.findings == {"path.user": 1, "path.file": 1}
