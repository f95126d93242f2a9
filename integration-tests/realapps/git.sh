# git: init, commit, branch, merge, gc and fsck --strict in directory $1
# (test_docker_git runs it on a bind mount and on the root).
set -eu
# Fixed names and dates: the object ids are the same under every runtime.
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t
export GIT_COMMITTER_EMAIL=t@example.org
export GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
mkdir -p "$1" && cd "$1" && rm -rf repo && mkdir repo && cd repo
git init -q -b main .
for i in $(seq 1 30); do echo "line $i" >>a; done
git add a && git commit -q -m first && git log --oneline
git branch side && git checkout -q side
echo b >b && sed -i 's/line 3$/line three/' a && git add a b && git commit -q -m side
git checkout -q main
echo c >c && sed -i 's/line 27$/line twenty-seven/' a && git add a c && git commit -q -m main2
git merge -q --no-edit side
git log --oneline --graph | cat
git show --stat HEAD~1 | sed -n '1,2p;5,$p'
grep -c line a
git gc -q
git fsck --full --strict && echo "fsck clean"
git count-objects -v | grep -v size
git verify-pack -v .git/objects/pack/*.idx | tail -2
git status --short | wc -l
