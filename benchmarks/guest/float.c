/* Floating-point compute: an n-body step loop and a Mandelbrot row sum (doubles,
 * sqrt, division), working set in registers and a few cache lines.  float STEPS */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define N 5
static double x[N], y[N], z[N], vx[N], vy[N], vz[N], m[N];

int main(int argc, char **argv)
{
    long steps = argc > 1 ? atol(argv[1]) : 2000000;
    for (int i = 0; i < N; i++) {
        x[i] = i * 1.1; y[i] = i * 0.7 - 1.0; z[i] = 0.3 * i; m[i] = 1.0 + i * 0.01;
        vx[i] = 0.01 * i; vy[i] = -0.02 * i; vz[i] = 0.001;
    }
    double dt = 0.001, acc = 0;
    for (long s = 0; s < steps; s++) {
        for (int i = 0; i < N; i++)
            for (int j = i + 1; j < N; j++) {
                double dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
                double d2 = dx * dx + dy * dy + dz * dz + 0.01;
                double mag = dt / (d2 * sqrt(d2));
                vx[i] -= dx * m[j] * mag; vy[i] -= dy * m[j] * mag; vz[i] -= dz * m[j] * mag;
                vx[j] += dx * m[i] * mag; vy[j] += dy * m[i] * mag; vz[j] += dz * m[i] * mag;
            }
        for (int i = 0; i < N; i++) { x[i] += dt * vx[i]; y[i] += dt * vy[i]; z[i] += dt * vz[i]; }
        if ((s & 1023) == 0) {   /* a little Mandelbrot */
            double cr = -2.0 + (s >> 10) % 300 * 0.01, ci = 0.5;
            double zr = 0, zi = 0; int k = 0;
            while (k < 200 && zr * zr + zi * zi < 4.0) { double t = zr * zr - zi * zi + cr; zi = 2 * zr * zi + ci; zr = t; k++; }
            acc += k;
        }
    }
    for (int i = 0; i < N; i++) acc += x[i] + y[i] + z[i];
    printf("%.6f\n", acc);
    return 0;
}
