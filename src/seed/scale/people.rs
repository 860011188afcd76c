//! The scaled network's people and places: more coordinators and
//! supporters, extra groups in invented towns, members for every group,
//! trainers with their topics, regions, caps and away periods, and the
//! outside organisations that ask for speakers and workshops.

use std::collections::HashSet;
use std::ops::RangeInclusive;

use anyhow::{Context, ensure};
use chrono::{DateTime, Utc};
use entity::{MembershipRole, UserRole};

use super::{Organisation, Scaler, Site, Trainer, fill, slug};
use crate::fixtures::{GroupBuilder, TrainerBuilder, UnavailabilityBuilder};
use crate::seed::catalogue::SURNAMES;
use crate::seed::catalogue::words::{
    AWAY_NOTES, BUSIEST_REGION, COMMON_TOPIC, DISTRICTS, ENGLISH_TOWN, GROUP_DESCRIPTIONS, HOME_VENUES, ORGANISATIONS,
    REGIONS, SCOTTISH_TOWN, STREETS, WELSH_HOME_VENUES, WELSH_STREETS, WELSH_TOWN,
};
use crate::seed::random::SplitMix64;

/// Invented town names by country, each handed out once.
struct Towns {
    lists: [Vec<String>; 3],
    used: [usize; 3],
}

impl Towns {
    fn new(rng: &mut SplitMix64) -> Self {
        let mut names = |(firsts, endings): (&[&str], &[&str])| {
            let mut names: Vec<String> = firsts
                .iter()
                .flat_map(|first| endings.iter().map(move |ending| format!("{first}{ending}")))
                .collect();
            rng.shuffle(&mut names);
            names
        };
        Self {
            lists: [names(ENGLISH_TOWN), names(SCOTTISH_TOWN), names(WELSH_TOWN)],
            used: [0; 3],
        }
    }

    /// The next unused town name for a region; with a district once every
    /// plain name of its country is taken.
    fn next(&mut self, region: &str) -> anyhow::Result<String> {
        let country = match region {
            "Scotland" => 1,
            "Wales" => 2,
            _ => 0,
        };
        let names = &self.lists[country];
        let k = self.used[country];
        self.used[country] += 1;
        let base = names.get(k % names.len().max(1)).context("no town names")?;
        match k / names.len().max(1) {
            0 => Ok(base.clone()),
            d => DISTRICTS
                .get(d - 1)
                .map(|district| format!("{base} {district}"))
                .context("more groups than invented towns"),
        }
    }
}

impl Scaler {
    /// A UK local time on a day in `days` (from today), in `hours`.
    pub(super) fn day_at(&mut self, days: RangeInclusive<i64>, hours: RangeInclusive<i64>) -> DateTime<Utc> {
        let day = self.rng.between(*days.start(), *days.end());
        let hour = self.rng.between(*hours.start(), *hours.end()) as u32;
        let minute = 5 * self.rng.below(12) as u32;
        self.cal.at(day, hour, minute)
    }

    pub(super) fn add_staff(&mut self) -> anyhow::Result<()> {
        for _ in 0..self.sizes.extra_coordinators {
            let at = self.day_at(-850..=-200, 9..=17);
            let (id, ..) = self.person(UserRole::Coordinator, at)?;
            self.coordinators.push(id);
        }
        for _ in 0..self.sizes.extra_supporters {
            let at = self.day_at(-800..=-20, 8..=22);
            let (id, ..) = self.person(UserRole::Supporter, at)?;
            self.supporters.push(id);
        }
        Ok(())
    }

    /// Groups beyond the demo's, going round the regions, each with one or
    /// two organisers (members come in [`Self::add_members`]).
    pub(super) fn add_groups(&mut self) -> anyhow::Result<()> {
        let mut towns = Towns::new(&mut self.rng);
        let mut slugs: HashSet<String> = self.sites.iter().map(|s| s.slug.clone()).collect();
        for k in 0..self.sizes.extra_groups {
            let region = REGIONS[k % REGIONS.len()];
            let town = towns.next(region)?;
            let slug = slug(&town);
            ensure!(slugs.insert(slug.clone()), "two groups would have the slug {slug}");
            let welsh = region == "Wales";
            let created_at = self.cal.at(-self.rng.between(500, 900), 19, 30);
            let postcode_area = format!(
                "{}{}",
                slug.get(..2).unwrap_or("XX").to_uppercase(),
                1 + self.rng.below(20)
            );
            let street = self.word(if welsh { WELSH_STREETS } else { STREETS });
            let venue = fill(
                self.word(if welsh { WELSH_HOME_VENUES } else { HOME_VENUES }),
                &[("town", &town)],
            );
            let description = fill(self.word(GROUP_DESCRIPTIONS), &[("town", &town)]);
            let id = self.ids.next();
            let group = GroupBuilder::new(&slug, created_at)
                .id(id)
                .name(&town)
                .region(region)
                .description(description);
            self.plan.groups.push(group.build());
            let mut site = Site {
                id,
                slug,
                name: town.clone(),
                region,
                address: format!("{street}, {town} {postcode_area}"),
                town,
                postcode_area,
                venue,
                welsh,
                created_at,
                organisers: Vec::new(),
                active: Vec::new(),
            };
            for _ in 0..1 + usize::from(self.chance(40)) {
                let (person, ..) = self.person(UserRole::Supporter, created_at)?;
                self.plan.add_membership(
                    self.ids.next(),
                    (person, id),
                    MembershipRole::Organiser,
                    created_at,
                    true,
                );
                site.organisers.push(person);
                site.active.push(person);
            }
            self.sites.push(site);
        }
        Ok(())
    }

    /// Every group grows to the network's size with active members (one in
    /// 25 an organiser) and gets a few people waiting for approval.
    pub(super) fn add_members(&mut self) -> anyhow::Result<()> {
        let target = self.sizes.members_per_group;
        for s in 0..self.sites.len() {
            let (group_id, created_at) = (self.sites[s].id, self.sites[s].created_at);
            let age = (self.cal.now - created_at).num_days().max(32);
            while self.sites[s].active.len() < target {
                let role = if self.sites[s].active.len() % 25 == 24 {
                    MembershipRole::Organiser
                } else {
                    MembershipRole::Member
                };
                let joined = self.day_at(-(age - 1)..=-30, 18..=21);
                let (person, ..) = self.person(UserRole::Supporter, joined)?;
                self.plan
                    .add_membership(self.ids.next(), (person, group_id), role, joined, true);
                let site = &mut self.sites[s];
                if role == MembershipRole::Organiser {
                    site.organisers.push(person);
                }
                site.active.push(person);
            }
            for _ in 0..self.rng.below(3) {
                let asked = self.day_at(-14..=-1, 8..=22);
                let (person, ..) = self.person(UserRole::Supporter, asked)?;
                self.plan.add_membership(
                    self.ids.next(),
                    (person, group_id),
                    MembershipRole::Member,
                    asked,
                    false,
                );
            }
        }
        Ok(())
    }

    /// Trainers up to the network's number: nearly all give the common
    /// topic and one to three others; a third work in the busiest region.
    pub(super) fn add_trainers(&mut self) -> anyhow::Result<()> {
        let common = self.topic_index(COMMON_TOPIC);
        let extra = self.sizes.trainers.saturating_sub(self.plan.trainer_profiles.len());
        for _ in 0..extra {
            let created_at = self.day_at(-900..=-300, 9..=20);
            let (id, ..) = self.person(UserRole::Supporter, created_at)?;
            let cap = self.rng.between(2, 6);
            let mut trainer = TrainerBuilder::new(id, created_at).monthly_cap(i32::try_from(cap)?);

            let mut topics: Vec<usize> = common.filter(|_| self.chance(85)).into_iter().collect();
            let wanted = topics.len() + 1 + self.rng.below(3);
            for _ in 0..20 {
                if topics.len() >= wanted {
                    break;
                }
                let topic = self.topic();
                if !topics.contains(&topic) {
                    topics.push(topic);
                }
            }
            let mut regions = vec![if self.chance(30) {
                BUSIEST_REGION
            } else {
                let site = self.rng.below(self.sites.len());
                self.sites.get(site).map_or(BUSIEST_REGION, |s| s.region)
            }];
            let second = self.word(REGIONS);
            if self.chance(40) && !regions.contains(&second) {
                regions.push(second);
            }

            let k = self.trainers.len();
            for &topic in &topics {
                trainer = trainer.topic(self.topics[topic].id);
                self.by_topic[topic].push(k);
                for &region in &regions {
                    self.by_topic_region.entry((topic, region)).or_default().push(k);
                }
            }
            for &region in &regions {
                trainer = trainer.region(region);
            }

            let mut away = Vec::new();
            for _ in 0..self.rng.below(4) {
                let first_day = self.rng.between(-365, 365);
                let starts_at = self.cal.at(first_day, 0, 0);
                let ends_at = self.cal.at(first_day + self.rng.between(2, 14), 0, 0);
                let period = UnavailabilityBuilder::new(id, starts_at, ends_at)
                    .note(self.word(AWAY_NOTES))
                    .noted_at(self.cal.listed(starts_at));
                trainer = trainer.unavailable(period);
                away.push((starts_at, ends_at));
            }
            let rows = trainer.build_with_ids(&mut || self.ids.next());
            self.plan.add_trainer(rows);
            self.trainers.push(Trainer {
                id,
                cap: usize::try_from(cap)?,
                away,
                busy: Vec::new(),
                months: Default::default(),
            });
        }
        Ok(())
    }

    /// Union branches, student societies, surgeries and community groups in
    /// the groups' towns, each with a contact person's account.
    pub(super) fn add_organisations(&mut self) -> anyhow::Result<()> {
        for _ in 0..self.sizes.organisations {
            let site = self.rng.below(self.sites.len());
            let town = self.sites.get(site).map(|s| s.town.clone()).unwrap_or_default();
            let street = self.word(SURNAMES);
            let name = fill(self.word(ORGANISATIONS), &[("town", &town), ("street", street)]);
            let at = self.day_at(-800..=-450, 9..=17);
            let (contact, contact_name, contact_email) = self.person(UserRole::Supporter, at)?;
            self.organisations.push(Organisation {
                name,
                site,
                contact,
                contact_name,
                contact_email,
            });
        }
        Ok(())
    }
}
