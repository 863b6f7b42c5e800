// fft.js ships no types; this is the part of its API used here.
declare module 'fft.js' {
  export default class FFT {
    constructor(size: number);
    readonly size: number;
    createComplexArray(): number[];
    realTransform(output: number[] | Float64Array, input: ArrayLike<number>): void;
  }
}
