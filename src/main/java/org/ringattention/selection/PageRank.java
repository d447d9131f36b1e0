package org.ringattention.selection;

import java.util.Arrays;

/**
 * PageRank by power iteration on a weighted undirected graph, as LexRank and TextRank use it:
 * {@code p = (1 - d)/n + d * W' p}, with {@code W'} the weights normalized by each node's total
 * (a node without edges spreads its score evenly). Stops when the L1 change is below 1e-10, or after
 * 200 rounds.
 */
final class PageRank {

    private PageRank() {
    }

    static double[] scores(double[][] w, double damping) {
        int n = w.length;
        double[] degree = new double[n];
        // Each row's edges as (column, weight / degree): a round costs the edges, not n^2, and each
        // q[j] still sums its terms in increasing i with the same products as the dense loop.
        int[][] columns = new int[n][];
        double[][] shares = new double[n][];
        int[] cols = new int[n];
        for (int i = 0; i < n; i++) {
            int edges = 0;
            for (int j = 0; j < n; j++) {
                degree[i] += w[i][j];
                if (w[i][j] != 0) {
                    cols[edges++] = j;
                }
            }
            columns[i] = Arrays.copyOf(cols, edges);
            shares[i] = new double[edges];
            for (int e = 0; e < edges; e++) {
                shares[i][e] = w[i][columns[i][e]] / degree[i];
            }
        }
        double[] p = new double[n];
        Arrays.fill(p, 1.0 / n);
        for (int round = 0; round < 200; round++) {
            double dangling = 0;
            for (int i = 0; i < n; i++) {
                if (degree[i] == 0) {
                    dangling += p[i];
                }
            }
            double[] q = new double[n];
            Arrays.fill(q, dangling / n);
            for (int i = 0; i < n; i++) {
                int[] ci = columns[i];
                double[] si = shares[i];
                double pi = p[i];
                for (int e = 0; e < ci.length; e++) {
                    q[ci[e]] += si[e] * pi;
                }
            }
            for (int j = 0; j < n; j++) {
                q[j] = (1 - damping) / n + damping * q[j];
            }
            double change = 0;
            for (int i = 0; i < n; i++) {
                change += Math.abs(q[i] - p[i]);
            }
            p = q;
            if (change < 1e-10) {
                break;
            }
        }
        return p;
    }
}
