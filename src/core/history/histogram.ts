/** Score histograms: 100 bins of width 0.01 over [0, 1]; out-of-range scores go to the end bins. */
export const HIST_BINS = 100;
