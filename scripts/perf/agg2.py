import sys, collections
root = sys.argv[1]; markers = sys.argv[2].split(",")
cnt = collections.Counter(); total = 0; stack = []
def flush():
    global total
    if not stack or not any(root in f for f in stack): return
    total += 1
    for fr in stack:
        for m in markers:
            if m in fr:
                cnt[m] += 1; return
    cnt["(other) " + stack[0][:80]] += 1
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip():
        flush(); stack = []; continue
    if line.startswith((" ", "\t")):
        stack.append(line.strip().split(" ", 1)[-1])
flush()
for k, v in cnt.most_common(25):
    print(f"{100*v/total:6.2f}% {k}")
print("samples", total)
