package org.ringattention.selection;

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
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                degree[i] += w[i][j];
            }
        }
        double[] p = new double[n];
        java.util.Arrays.fill(p, 1.0 / n);
        for (int round = 0; round < 200; round++) {
            double dangling = 0;
            for (int i = 0; i < n; i++) {
                if (degree[i] == 0) {
                    dangling += p[i];
                }
            }
            // Row by row (the matrix is row-major); each q[j] still sums its terms in increasing i.
            double[] q = new double[n];
            java.util.Arrays.fill(q, dangling / n);
            for (int i = 0; i < n; i++) {
                double[] wi = w[i];
                for (int j = 0; j < n; j++) {
                    if (wi[j] != 0) {
                        q[j] += wi[j] / degree[i] * p[i];
                    }
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
