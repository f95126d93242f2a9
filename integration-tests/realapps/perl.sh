# perl: regexes, hashes, sort, sprintf, file I/O, fork/wait.
set -eu
cd /tmp
perl - <<'PL'
use strict;
use warnings;
my $text = join "", map { "line $_: the quick brown fox number " . ($_ * 37 % 101) . "\n" } 1 .. 200;
open(my $out, ">", "/tmp/perl-in.txt") or die "open: $!";
print $out $text;
close($out) or die;
open(my $in, "<", "/tmp/perl-in.txt") or die "open: $!";
my (%count, %byten, @nums);
while (my $l = <$in>) {
	chomp $l;
	$count{$_}++ for ($l =~ /\b([a-z]+)\b/g);
	if ($l =~ /^line (\d+): .* number (\d+)$/) {
		push @nums, $2;
		push @{ $byten{ int($2 / 10) } }, $1;
	}
}
close($in);
printf "%-6s %3d\n", $_, $count{$_} for sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count;
printf "decade %2d: %3d lines, first %d\n", $_, scalar @{ $byten{$_} }, $byten{$_}[0] for sort { $a <=> $b } keys %byten;
my @sorted = sort { $a <=> $b } @nums;
printf "min %d max %d median %d sum %d\n", $sorted[0], $sorted[-1], $sorted[$#sorted / 2], eval { my $s = 0; $s += $_ for @nums; $s };
(my $s = "Hello, Visor World") =~ s/(\w+)/\u\L$1/g;
print "$s ", scalar reverse($s), " ", join(",", split /,\s*/, "a, b,c"), "\n";
# fork/wait: children write files, the parent collects them in order.
my @kids;
for my $i (1 .. 4) {
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		open(my $f, ">", "/tmp/perl-kid-$i") or die;
		printf $f "kid %d squares %d\n", $i, $i * $i;
		close($f);
		exit($i);
	}
	push @kids, $pid;
}
my %status;
for my $pid (@kids) {
	waitpid($pid, 0) == $pid or die "waitpid";
	$status{$pid} = $? >> 8;
}
print "exit codes: ", join(" ", map { $status{$_} } @kids), "\n";
for my $i (1 .. 4) {
	open(my $f, "<", "/tmp/perl-kid-$i") or die;
	print scalar <$f>;
	close($f);
	unlink "/tmp/perl-kid-$i";
}
my $pipe_out = `echo piped | tr a-z A-Z`;
print "backticks: $pipe_out";
unlink "/tmp/perl-in.txt";
PL
