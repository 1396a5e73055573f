/**
 * Standard normal density and distribution to about 1e-15 relative accuracy.
 *
 * Uses W. J. Cody's rational Chebyshev approximations for erf/erfc
 * ("Rational Chebyshev approximations for the error function", Math. Comp. 1969),
 * the same three-interval scheme as his CALERF routine. The common
 * Abramowitz–Stegun 26.2.17 formula (≈7.5e-8) is not accurate enough for 1e-9 checks.
 *
 * For Φ the Gaussian factor exp(−x²/2) is evaluated from x directly with
 * Cody's split x = xh + xl (xh a multiple of 1/16) so the exponent is exact to
 * rounding; routing through erfc(−x/√2) would lose ~x² ulps in the far tail.
 */

const A = [3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03, 1.85777706184603153e-1];
const B = [2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03];
const C = [
  5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
  1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8,
];
const D = [
  1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03, 3.29079923573345963e03,
  4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03,
];
const P = [
  3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4,
  1.63153871373020978e-2,
];
const Q = [2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];

const A0 = A[0]!, A1 = A[1]!, A2 = A[2]!, A3 = A[3]!, A4 = A[4]!;
const B0 = B[0]!, B1 = B[1]!, B2 = B[2]!, B3 = B[3]!;
const P0 = P[0]!, P1 = P[1]!, P2 = P[2]!, P3 = P[3]!, P4 = P[4]!, P5 = P[5]!;
const Q0 = Q[0]!, Q1 = Q[1]!, Q2 = Q[2]!, Q3 = Q[3]!, Q4 = Q[4]!;

const THRESH = 0.46875;
const ONE_OVER_SQRT_PI = 0.56418958354775628695;
const SQRT1_2 = Math.SQRT1_2;
const ONE_OVER_SQRT_2PI = 0.39894228040143267794;
/** erfc(y) underflows to 0 beyond this. */
const ERFC_XBIG = 26.543;

/** erf on |y| ≤ 0.46875 (sign carried by y). */
function erfSmall(y: number): number {
  const ysq = y * y;
  let xnum = A4 * ysq;
  let xden = ysq;
  xnum = (xnum + A0) * ysq;
  xden = (xden + B0) * ysq;
  xnum = (xnum + A1) * ysq;
  xden = (xden + B1) * ysq;
  xnum = (xnum + A2) * ysq;
  xden = (xden + B2) * ysq;
  return (y * (xnum + A3)) / (xden + B3);
}

/** erfc(y)·exp(y²) for 0.46875 < y, without the Gaussian factor. */
function erfcScaled(y: number): number {
  if (y <= 4) {
    let xnum = C[8]! * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + C[i]!) * y;
      xden = (xden + D[i]!) * y;
    }
    return (xnum + C[7]!) / (xden + D[7]!);
  }
  const ysq = 1 / (y * y);
  let xnum = P5 * ysq;
  let xden = ysq;
  xnum = (xnum + P0) * ysq;
  xden = (xden + Q0) * ysq;
  xnum = (xnum + P1) * ysq;
  xden = (xden + Q1) * ysq;
  xnum = (xnum + P2) * ysq;
  xden = (xden + Q2) * ysq;
  xnum = (xnum + P3) * ysq;
  xden = (xden + Q3) * ysq;
  const r = (ysq * (xnum + P4)) / (xden + Q4);
  return (ONE_OVER_SQRT_PI - r) / y;
}

/** exp(−y²) with y split so that the large part of y² is exact. */
function expNegSq(y: number): number {
  const yh = Math.trunc(y * 16) / 16;
  const del = (y - yh) * (y + yh);
  return Math.exp(-yh * yh) * Math.exp(-del);
}

/** exp(−x²/2), exact-exponent version of expNegSq for the normal density. */
function expNegHalfSq(x: number): number {
  const xh = Math.trunc(x * 16) / 16;
  const del = (x - xh) * (x + xh);
  return Math.exp(-0.5 * xh * xh) * Math.exp(-0.5 * del);
}

export function erf(x: number): number {
  const y = Math.abs(x);
  if (y <= THRESH) return erfSmall(x);
  const c = y >= ERFC_XBIG ? 0 : expNegSq(y) * erfcScaled(y);
  return x < 0 ? c - 1 : 1 - c;
}

export function erfc(x: number): number {
  const y = Math.abs(x);
  if (y <= THRESH) return 1 - erfSmall(x);
  const c = y >= ERFC_XBIG ? 0 : expNegSq(y) * erfcScaled(y);
  return x < 0 ? 2 - c : c;
}

/** Standard normal density φ(x). */
export function normPdf(x: number): number {
  return ONE_OVER_SQRT_2PI * expNegHalfSq(Math.abs(x));
}

/** Standard normal distribution Φ(x). NaN in, NaN out. */
export function normCdf(x: number): number {
  if (x !== x) return NaN;
  const y = Math.abs(x) * SQRT1_2;
  if (y <= THRESH) return 0.5 + 0.5 * erfSmall(x * SQRT1_2);
  // Φ(−|x|) = ½·erfc(|x|/√2); the exponent is taken from x itself (see header).
  const tail = y >= ERFC_XBIG ? 0 : 0.5 * expNegHalfSq(Math.abs(x)) * erfcScaled(y);
  return x < 0 ? tail : 1 - tail;
}

const SQRT_2PI = 2.5066282746310005024;

/**
 * Φ(x) when φ(x) is already known: reuses its Gaussian factor instead of a second
 * exp, for loops that need both (delta and gamma of one contract).
 */
export function normCdfFromPdf(x: number, pdf: number): number {
  if (x !== x) return NaN;
  const y = Math.abs(x) * SQRT1_2;
  if (y <= THRESH) return 0.5 + 0.5 * erfSmall(x * SQRT1_2);
  const tail = y >= ERFC_XBIG ? 0 : 0.5 * pdf * SQRT_2PI * erfcScaled(y);
  return x < 0 ? tail : 1 - tail;
}
