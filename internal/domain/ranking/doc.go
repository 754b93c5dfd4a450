// Package ranking turns pairwise preferences into win rates and ratings.
//
// A comparison sets response A (from ModelA) against response B (from ModelB) and
// carries a preference: the probability that B is better, in [0,1] (1 means B wins,
// 0 means A wins, 0.5 is a tie, values between are soft judgements). A NaN preference
// stands for a comparison without a usable judgement (AlpacaEval's null); every
// function skips such comparisons and reports how many it skipped.
//
// The package offers:
//
//   - WinRates: AlpacaEval's win rate against a baseline, with its standard error and
//     its win/tie/loss counts.
//   - WinRateMatrix: the win rate of every model against every other model.
//   - BradleyTerry: Chatbot Arena's maximum-likelihood Bradley–Terry ratings on the Elo
//     scale, with bootstrap confidence intervals and Arena's rank.
//   - OnlineElo: Chatbot Arena's sequential Elo update.
//
// Inputs are aggregated: an Outcome counts identical comparisons, so the service can
// group comparisons in SQL and hand over one row per (model A, model B, preference).
// Aggregate builds Outcomes from raw Battles. Results never contain NaN or infinities;
// quantities that do not exist are reported as such (a flag, a nil pointer or a
// warning) rather than as a number.
package ranking
