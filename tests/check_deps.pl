#!/usr/bin/perl
# Layering checks, run by tests/check_sources.sh from the top of the tree:
#
#   includes  a file includes project headers of its own layer or a lower
#             one only; the core and the admin tool include no httpd header.
#   cycles    no dependency cycle between source files, where "A uses B"
#             means that A's object has an undefined symbol B's defines.
#   layers    no object uses a symbol of a higher layer's object; core and
#             tools objects reference no httpd symbol (ap_*, unixd_*, *_module).
#   prefixes  the exported symbols of src/<layer>/<file>.c are oidp_<file>
#             or oidp_<file>_*, or of a family of src/README.md's table
#             "## Prefix families"; tools/<file>.c: <file>, <file>_* ('-' read
#             as '_'); tools/oidc-idp-admin.c: main only; build/schema.c:
#             oidp_schema_*; mod_oidc_idp.c: oidc_idp_module only.
#
# Layers: core < httpd < endpoints < front (mod_oidc_idp.c); tools sit on
# the core only. The objects are those of `make objects` (build/obj/<layer>/),
# read with nm; the caller builds them first.
#
# Usage: perl tests/check_deps.pl [includes|cycles|layers|prefixes ...]
# (all of them by default). Prints one line per violation; exit status 1 if
# there is any.
use strict;
use warnings;

my %want = map { $_ => 1 } (@ARGV ? @ARGV : qw(includes cycles layers prefixes));
for (keys %want) {
    die "usage: $0 [includes|cycles|layers|prefixes ...]\n"
        unless /^(includes|cycles|layers|prefixes)$/;
}
my $NM = $ENV{NM} || 'nm';
my $fail = 0;
my %count;

sub violation
{
    my ($kind, $msg) = @_;
    print "$kind: $msg\n";
    $count{$kind}++;
    $fail = 1;
}

# What each layer may use (itself included).
my %may = (
    core      => { core => 1 },
    httpd     => { core => 1, httpd => 1 },
    endpoints => { core => 1, httpd => 1, endpoints => 1 },
    front     => { core => 1, httpd => 1, endpoints => 1, front => 1 },
    tools     => { core => 1, tools => 1 },
);

sub layer_of
{
    my ($path) = @_;
    return $1 if $path =~ m{^(?:src|include)/(core|httpd|endpoints)/};
    return 'tools' if $path =~ m{^tools/};
    return 'core' if $path eq 'build/schema.c';
    return 'front' if $path eq 'mod_oidc_idp.c';
    return undef;
}

sub sorted_glob { return sort grep { -f } map { glob } @_ }

# ------------------------------------------------------------ includes
if ($want{includes}) {
    # each project header's layer, by where it lives
    my %hlayer;
    for my $h (sorted_glob('include/*/*.h', 'tools/*.h')) {
        (my $name = $h) =~ s{.*/}{};
        $hlayer{$name} = layer_of($h);
    }
    my @files = sorted_glob('mod_oidc_idp.c', 'src/*/*.c', 'include/*/*.h', 'tools/*.c',
        'tools/*.h');
    push @files, 'build/schema.c' if -f 'build/schema.c';
    for my $f (@files) {
        my $layer = layer_of($f) or next;
        open(my $fh, '<', $f) or die "$f: $!\n";
        while (my $line = <$fh>) {
            next unless $line =~ /^\s*#\s*include\s*([<"])([^>"]+)[>"]/;
            my ($q, $inc) = ($1, $2);
            (my $base = $inc) =~ s{.*/}{};
            if (($layer eq 'core' || $layer eq 'tools')
                && $base =~ /^(httpd\.h|http_.*\.h|ap_.*\.h|util_.*\.h|mod_.*\.h|unixd\.h)$/)
            {
                violation('include', "$f:$.: $layer includes the httpd header $inc");
                next;
            }
            my $hl = $hlayer{$base};
            if (!defined $hl) {
                violation('include', "$f:$.: includes $inc, no such project header")
                    if $q eq '"' && $base =~ /^(oidp_.*|oidc_idp)\.h$/;
                next;
            }
            if (!$may{$layer}{$hl}) {
                violation('include', "$f:$.: $layer includes $inc of the $hl layer");
            }
        }
        close($fh);
    }
}

# ------------------------------------------------------------ symbols
exit($fail) unless $want{cycles} || $want{layers} || $want{prefixes};

# source => object, from the sources (a stale object of a deleted source
# is not read)
my %obj;
for my $s (sorted_glob('src/*/*.c')) {
    (my $o = $s) =~ s{^src/(.*)\.c$}{build/obj/$1.o};
    $obj{$s} = $o;
}
for my $s (sorted_glob('tools/*.c')) {
    (my $o = $s) =~ s{^tools/(.*)\.c$}{build/obj/tools/$1.o};
    $obj{$s} = $o;
}
$obj{'mod_oidc_idp.c'} = 'build/obj/front/mod_oidc_idp.o';
$obj{'build/schema.c'} = 'build/obj/core/schema.o';

my (%defs, %undefs, %definer);
for my $s (sort keys %obj) {
    my $o = $obj{$s};
    die "check_deps: $o (from $s) is missing: run make objects\n" unless -f $o;
    open(my $nm, '-|', $NM, '-P', $o) or die "nm $o: $!\n";
    while (<$nm>) {
        my ($sym, $type) = split;
        next unless defined $type;
        if ($type eq 'U') {
            $undefs{$s}{$sym} = 1;
        }
        elsif ($type =~ /^[A-TV-Z]$/) {    # global (upper case), defined
            $defs{$s}{$sym} = $type;
            push @{ $definer{$sym} }, $s;
        }
    }
    close($nm) or die "nm $o failed\n";
}

# edges: $uses{A}{B} = [symbols]
# The module record (defined by mod_oidc_idp.c, declared by the httpd
# header oidc_idp.h) is named by httpd and endpoint files the way every
# httpd module names its own: it is no dependency on the front.
my $MODULE = 'oidc_idp_module';
my %uses;
for my $a (sort keys %undefs) {
    for my $sym (sort keys %{ $undefs{$a} }) {
        if ($sym eq $MODULE) {
            # the module record: httpd code names it (APLOG_USE_MODULE,
            # ap_get_module_config) as in every httpd module; no edge
            violation('layer', "$a (" . layer_of($a) . ") uses the httpd symbol $sym")
                if $want{layers} && layer_of($a) =~ /^(core|tools)$/;
            next;
        }
        if ($definer{$sym}) {
            for my $b (@{ $definer{$sym} }) {
                push @{ $uses{$a}{$b} }, $sym unless $a eq $b;
            }
        }
        elsif ($want{layers} && layer_of($a) =~ /^(core|tools)$/
            && $sym =~ /^(ap_|unixd_)|_module$/)
        {
            violation('layer', "$a (" . layer_of($a) . ") uses the httpd symbol $sym");
        }
    }
}

# ------------------------------------------------------------ layers
if ($want{layers}) {
    for my $a (sort keys %uses) {
        my $la = layer_of($a);
        for my $b (sort keys %{ $uses{$a} }) {
            my $lb = layer_of($b);
            next if $may{$la}{$lb};
            violation('layer',
                "$a ($la) uses $b ($lb): " . join(', ', @{ $uses{$a}{$b} }));
        }
    }
}

# ------------------------------------------------------------ cycles
if ($want{cycles}) {
    # Tarjan's strongly connected components
    my ($index, @stack, %idx, %low, %on, @sccs) = (0);
    my $strong;
    $strong = sub {
        my ($v) = @_;
        $idx{$v} = $low{$v} = $index++;
        push @stack, $v;
        $on{$v} = 1;
        for my $w (sort keys %{ $uses{$v} || {} }) {
            if (!defined $idx{$w}) {
                $strong->($w);
                $low{$v} = $low{$w} if $low{$w} < $low{$v};
            }
            elsif ($on{$w}) {
                $low{$v} = $idx{$w} if $idx{$w} < $low{$v};
            }
        }
        if ($low{$v} == $idx{$v}) {
            my @c;
            my $w;
            do {
                $w = pop @stack;
                $on{$w} = 0;
                push @c, $w;
            } while ($w ne $v);
            push @sccs, [sort @c] if @c > 1;
        }
    };
    for my $v (sort keys %obj) {
        $strong->($v) unless defined $idx{$v};
    }
    # For each component, the shortest cycle through each of its files
    # (breadth first, inside the component), each cycle printed once.
    for my $c (sort { $a->[0] cmp $b->[0] } @sccs) {
        my %in = map { $_ => 1 } @$c;
        print "cycle group (" . scalar(@$c) . " files): @$c\n";
        my %seen;
        for my $start (@$c) {
            my %prev = ($start => undef);
            my @queue = ($start);
            my $found;
          BFS: while (@queue) {
                my $v = shift @queue;
                for my $w (sort grep { $in{$_} } keys %{ $uses{$v} }) {
                    if ($w eq $start) {
                        $found = $v;
                        last BFS;
                    }
                    next if exists $prev{$w};
                    $prev{$w} = $v;
                    push @queue, $w;
                }
            }
            next unless defined $found;
            my @path;
            for (my $v = $found; defined $v; $v = $prev{$v}) {
                unshift @path, $v;
            }
            # one rotation per cycle: start at the smallest name
            my $m = 0;
            for my $i (1 .. $#path) { $m = $i if $path[$i] lt $path[$m] }
            @path = (@path[$m .. $#path], @path[0 .. $m - 1]);
            my $key = join(' ', @path);
            next if $seen{$key}++;
            my @loop = (@path, $path[0]);
            my @syms = map { join(', ', @{ $uses{ $loop[$_] }{ $loop[$_ + 1] } }) } 0 .. $#path;
            violation('cycle', join(' -> ', @loop) . ' (' . join('; ', @syms) . ')');
        }
    }
}

# ------------------------------------------------------------ prefixes
if ($want{prefixes}) {
    my %family;    # source => [prefixes]
    my $readme = 'src/README.md';
    if (open(my $fh, '<', $readme)) {
        my ($in, $rows) = (0, 0);
        while (my $line = <$fh>) {
            if ($line =~ /^##\s/) {
                $in = $line =~ /^##\s+Prefix families\s*$/;
                next;
            }
            next unless $in && $line =~ /^\s*\|/;
            my @cell = split /\|/, $line;
            shift @cell;
            s/^\s+|\s+$//g for @cell;
            s/`//g for @cell[0, 1];
            next if $cell[0] eq 'prefix' || $cell[0] =~ /^:?-+:?$/;
            $rows++;
            if ($cell[0] !~ /^[A-Za-z_][A-Za-z0-9_]*$/ || !defined $cell[1] || $cell[1] eq '') {
                violation('prefix', "$readme:$.: a row must be | prefix | files | why |");
                next;
            }
            for my $p (split /[\s,]+/, $cell[1]) {
                my $s = -f "src/$p" ? "src/$p" : $p;
                if (!$obj{$s}) {
                    violation('prefix', "$readme:$.: family $cell[0] names $p, no such source");
                    next;
                }
                push @{ $family{$s} }, $cell[0];
            }
        }
        close($fh);
        violation('prefix', "$readme: no \"## Prefix families\" table") unless $rows;
    }
    else {
        violation('prefix', "$readme is missing (its \"## Prefix families\" table)");
    }

    for my $s (sort keys %defs) {
        my ($name, $only);
        if ($s eq 'mod_oidc_idp.c') {
            $only = 'oidc_idp_module';
        }
        elsif ($s eq 'tools/oidc-idp-admin.c') {
            $only = 'main';
        }
        elsif ($s =~ m{^tools/(.*)\.c$}) {
            ($name = $1) =~ tr/-/_/;
        }
        elsif ($s =~ m{^(?:src/[^/]+|build)/(.*)\.c$}) {
            $name = "oidp_$1";
        }
        for my $sym (sort keys %{ $defs{$s} }) {
            if (defined $only) {
                violation('prefix', "$s exports $sym: only $only may be") if $sym ne $only;
                next;
            }
            next if $sym eq $name || index($sym, "${name}_") == 0;
            next if grep { index($sym, $_) == 0 } @{ $family{$s} || [] };
            violation('prefix', "$s exports $sym: not $name or ${name}_*"
                    . ($s =~ /^src/ ? " nor of a family of src/README.md" : ''));
        }
    }
}

if ($fail) {
    print "layering checks failed: "
        . join(', ', map { "$count{$_} $_" } sort keys %count) . "\n";
}
exit($fail);
