# OpenJDK: javac, then a program with threads (join, a synchronized
# counter) and a NullPointerException caught and printed.
set -eu
rm -rf /tmp/java && mkdir -p /tmp/java && cd /tmp/java
cat >Main.java <<'JAVA'
import java.util.ArrayList;
import java.util.List;

public class Main {
    private static long counter;

    private static synchronized void add(long n) { counter += n; }

    static String maybeNull(int i) { return i % 2 == 0 ? null : "odd" + i; }

    public static void main(String[] args) throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            final int id = t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < 100000; i++)
                    add(id);
            }, "worker-" + t);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads)
            th.join();
        System.out.println("counter " + counter);
        for (int i = 0; i < 3; i++) {
            try {
                System.out.println("length " + maybeNull(i).length());
            } catch (NullPointerException e) {
                System.out.println("caught NullPointerException: " + e.getMessage());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String s : new java.util.TreeMap<>(System.getenv()).keySet())
            if (s.equals("PATH"))
                sb.append(s);
        System.out.println("env " + sb);
    }
}
JAVA
javac -d classes Main.java
java -cp classes Main
