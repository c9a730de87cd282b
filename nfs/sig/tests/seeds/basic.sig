# name     content                 options
evil       "/bin/sh"
shout      SHELLCODE               nocase
crlf       "|0d 0a 0d 0a|"
nul        |00 01 02|x
