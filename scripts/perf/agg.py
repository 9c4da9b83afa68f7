import sys, re, collections
markers = sys.argv[1].split(",")
cnt = collections.Counter(); total = 0
stack = []
def flush():
    global total
    if not stack: return
    total += 1
    for fr in stack:  # leaf first
        for m in markers:
            if m in fr:
                cnt[m] += 1; return
    cnt["(other)"] += 1
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip():
        flush(); stack = []; continue
    if line.startswith((" ", "\t")):
        stack.append(line.strip())
flush()
for k, v in cnt.most_common():
    print(f"{100*v/total:6.2f}% {k}")
print("samples", total)
